/// One evaluation of a diffusion network: what ComfyUI's `apply_model` hands the network.
public struct DiffusionInput: Sendable {
    /// The noisy latent as the network takes it (the model sampling's input scaling applied), [B, C, H, W].
    public var x: HostTensor
    /// The model's timestep for this sigma: Flux takes sigma itself (and scales it by 1000), a UNet
    /// ComfyUI's discrete timestep 0…999.
    public var timestep: Float
    /// Cross-attention tokens, [batch, tokens, context dim].
    public var context: HostTensor
    /// The class / ADM vector, [batch, width]: Flux's pooled CLIP-L, SDXL's pooled CLIP-G with its size
    /// embeddings; nil for models without one (SD1.x).
    public var vector: HostTensor?
    /// Distilled guidance (Flux dev and Fill); ignored by networks without a guidance embedding.
    public var guidance: Float?
    /// Extra input channels concatenated to `x` (Flux Fill: masked-image latent and the 8×8-unshuffled
    /// mask, 80 channels; SD inpainting UNets: mask and masked-image latent, 5 channels).
    public var concat: HostTensor?
    /// ControlNets active at this step, in the order they were applied; each sees this input's state,
    /// timestep, context and vector (not `concat`), and their residuals add up.
    public var controls: [ControlInput]
    /// An additive attention bias over [context tokens | image tokens] (Flux; StyleModelApply's `attn_bias`).
    public var attentionMask: JointAttentionMask?

    public init(x: HostTensor, timestep: Float, context: HostTensor, vector: HostTensor? = nil,
                guidance: Float? = nil, concat: HostTensor? = nil, controls: [ControlInput] = [],
                attentionMask: JointAttentionMask? = nil) {
        self.x = x
        self.timestep = timestep
        self.context = context
        self.vector = vector
        self.guidance = guidance
        self.concat = concat
        self.controls = controls
        self.attentionMask = attentionMask
    }
}

/// A denoising network; what its output means (velocity, noise or v) is its family's prediction type.
public protocol DiffusionNetwork: Sendable {
    /// Latent channels the network denoises (16 for Flux, 4 for SD).
    var latentChannels: Int { get }
    /// Channels expected in `DiffusionInput.concat` (0 for plain models, 80 for Flux Fill, 5 for SD inpainting).
    var concatChannels: Int { get }
    var usesGuidance: Bool { get }
    /// The raw network output for `input.x`, same shape.
    func prediction(for input: DiffusionInput) async throws -> HostTensor
}

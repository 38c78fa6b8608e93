/// One evaluation of a diffusion network: what ComfyUI's `apply_model` hands the Flux transformer.
public struct DiffusionInput: Sendable {
    /// The noisy latent in the model's space (latent format scale/shift applied), [batch, 16, H, W].
    public var x: HostTensor
    /// The model's timestep for this sigma (for Flux, sigma itself; the network scales by 1000).
    public var timestep: Float
    /// Text tokens, [batch, tokens, context dim].
    public var context: HostTensor
    /// Pooled text vector, [batch, vector dim].
    public var pooled: HostTensor?
    /// Distilled guidance (dev and Fill); ignored by networks without a guidance embedding.
    public var guidance: Float?
    /// Extra input channels concatenated to `x` before patching (Flux Fill: masked-image latent and
    /// the 8×8-unshuffled mask, [batch, 80, H, W]).
    public var concat: HostTensor?

    public init(x: HostTensor, timestep: Float, context: HostTensor, pooled: HostTensor? = nil,
                guidance: Float? = nil, concat: HostTensor? = nil) {
        self.x = x
        self.timestep = timestep
        self.context = context
        self.pooled = pooled
        self.guidance = guidance
        self.concat = concat
    }
}

/// A network that predicts the flow velocity of a noisy latent (ComfyUI's CONST / flow prediction).
public protocol DiffusionNetwork: Sendable {
    /// Latent channels the network denoises (16 for Flux).
    var latentChannels: Int { get }
    /// Channels expected in `DiffusionInput.concat` (0 for dev/schnell, 80 for Fill).
    var concatChannels: Int { get }
    var usesGuidance: Bool { get }
    /// The velocity for `input.x`, same shape.
    func velocity(_ input: DiffusionInput) async throws -> HostTensor
}

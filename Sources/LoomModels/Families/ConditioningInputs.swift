/// What a conditioning entry offers a network besides the state, at the latent shape being sampled:
/// the family turns it into `NetworkConditioning` (ComfyUI's `extra_conds`).
public struct ConditioningInputs: Sendable {
    /// Text tokens, [batch, tokens, width].
    public var context: HostTensor
    /// The pooled text vector (CLIP-L for Flux and SD1.x, CLIP-G for SDXL), [batch, width].
    public var pooled: HostTensor?
    /// FluxGuidance's distilled guidance scale.
    public var guidance: Double?
    /// InpaintModelConditioning: the masked image's latent as the VAE returns it, and the mask at pixel size.
    public var concatLatentImage: HostTensor?
    public var concatMask: HostTensor?
    /// SDXL's size and aesthetic conditioning; nil fields take ComfyUI's defaults.
    public var size: SizeConditioning
    /// [batch, channels, height, width] of the latent being sampled.
    public var noiseShape: [Int]
    /// The latent's prepared noise mask (1 = repaint), the inpainting mask when the entry has none.
    public var denoiseMask: HostTensor?
    /// The latent being sampled, in model space: the inpainting image when the entry has none.
    public var latentImage: HostTensor?
    /// The negative prompt (the SDXL refiner's default aesthetic score differs for it).
    public var isNegative: Bool
    /// StyleModelApply's attention bias (ComfyUI's `attention_mask`); Flux applies it, UNets ignore it as ComfyUI's do.
    public var attentionMask: JointAttentionMask?

    public init(context: HostTensor, pooled: HostTensor? = nil, guidance: Double? = nil,
                concatLatentImage: HostTensor? = nil, concatMask: HostTensor? = nil,
                size: SizeConditioning = SizeConditioning(), noiseShape: [Int], denoiseMask: HostTensor? = nil,
                latentImage: HostTensor? = nil, isNegative: Bool = false, attentionMask: JointAttentionMask? = nil) {
        self.context = context
        self.pooled = pooled
        self.guidance = guidance
        self.concatLatentImage = concatLatentImage
        self.concatMask = concatMask
        self.size = size
        self.noiseShape = noiseShape
        self.denoiseMask = denoiseMask
        self.latentImage = latentImage
        self.isNegative = isNegative
        self.attentionMask = attentionMask
    }
}

/// CLIPTextEncodeSDXL(Refiner)'s sizes; unset values default to the latent's pixel size as ComfyUI's
/// `SDXL.encode_adm` does.
public struct SizeConditioning: Sendable, Equatable {
    public var width: Int?
    public var height: Int?
    public var cropWidth: Int?
    public var cropHeight: Int?
    public var targetWidth: Int?
    public var targetHeight: Int?
    public var aestheticScore: Double?

    public init(width: Int? = nil, height: Int? = nil, cropWidth: Int? = nil, cropHeight: Int? = nil,
                targetWidth: Int? = nil, targetHeight: Int? = nil, aestheticScore: Double? = nil) {
        self.width = width
        self.height = height
        self.cropWidth = cropWidth
        self.cropHeight = cropHeight
        self.targetWidth = targetWidth
        self.targetHeight = targetHeight
        self.aestheticScore = aestheticScore
    }
}

/// A conditioning entry as network inputs, fixed for a whole sampling run.
public struct NetworkConditioning: Sendable {
    public var context: HostTensor
    public var vector: HostTensor?
    public var guidance: Float?
    public var concat: HostTensor?
    public var attentionMask: JointAttentionMask?

    public init(context: HostTensor, vector: HostTensor? = nil, guidance: Float? = nil, concat: HostTensor? = nil,
                attentionMask: JointAttentionMask? = nil) {
        self.context = context
        self.vector = vector
        self.guidance = guidance
        self.concat = concat
        self.attentionMask = attentionMask
    }
}

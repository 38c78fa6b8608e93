/// How large the images and tensors one node may make are, checked before anything is allocated, so a workflow
/// that asks for too much fails with a node error instead of exhausting the machine. The defaults keep one image
/// batch and one tensor within 4 GiB and one prompt's outputs within 12 GiB, which a 24 GB machine survives with
/// room for the copies operations make.
/// Engines read them from `Resources`; the CLI and the server set them from flags.
public struct ResourceLimits: Sendable, Equatable {
    /// Width × height of one image or mask, decoded files included.
    public var pixelsPerImage: Int
    /// Width × height × batch size of an image or mask batch (all frames of an animated file).
    public var pixelsPerBatch: Int
    /// Bytes of one tensor: an image batch as 32-bit floats, a latent, a conditioning.
    public var bytesPerTensor: Int
    /// Bytes of host memory the outputs of one prompt's nodes hold together (`PromptMemory`).
    public var bytesPerPrompt: Int

    public init(pixelsPerImage: Int, pixelsPerBatch: Int, bytesPerTensor: Int, bytesPerPrompt: Int = Self.standardBytesPerPrompt) {
        self.pixelsPerImage = pixelsPerImage
        self.pixelsPerBatch = pixelsPerBatch
        self.bytesPerTensor = bytesPerTensor
        self.bytesPerPrompt = bytesPerPrompt
    }

    /// Half of a 24 GB machine: the rest is for the system, model weights, the output cache and the working copies
    /// operations make.
    public static let standardBytesPerPrompt = 12 << 30

    /// ComfyUI's largest image side (MAX_RESOLUTION, 16384) squared, per image and per batch; 4 GiB per tensor;
    /// 12 GiB per prompt.
    public static let standard = ResourceLimits(pixelsPerImage: 16384 * 16384, pixelsPerBatch: 16384 * 16384, bytesPerTensor: 4 << 30)
}

extension Resources {
    /// The limits the engine was given, or the standard ones.
    public var limits: ResourceLimits { self.get(ResourceLimits.self) ?? .standard }
}

import LoomModelFiles
import LoomVulkan

/// An AutoencoderKL on the device — the Flux AE (16 latent channels) or the SD / SDXL VAE (4 channels,
/// with `quant_conv` and `post_quant_conv` around the latent): pixels in [-1, 1] to latents (the
/// distribution's mean) and back. No latent scale or shift is applied here; that belongs to the
/// sampler's latent format.
///
/// Images that would not fit the device (one tensor over `maxStorageBufferRange`) or `memoryBudget`
/// are split into overlapping tiles, blended as ComfyUI's `tiled_scale` blends them; a pass that
/// runs out of device memory anyway is retried in tiles.
public struct Autoencoder: Sendable {
    public let parameters: AutoencoderParameters
    public let context: VulkanContext
    let encoder: Encoder?
    let decoder: Decoder?
    /// Tensor bytes a single pass may use before the work is split into tiles.
    public var memoryBudget: Int

    /// An eighth of the device's memory and at least 1 GiB: room for the AE's activations beside a
    /// resident diffusion model. On lavapipe (a 2 GiB heap) 1 GiB; on an 80 GB GPU 10 GiB, which
    /// decodes a 1024² Flux image in one pass as ComfyUI would.
    public static func defaultMemoryBudget(for device: VulkanDevice) -> Int {
        max(1 << 30, device.deviceLocalMemoryBytes / 8)
    }

    /// Loads whichever halves the file holds; `weights` is scoped to the AE (`"vae."` in a checkpoint).
    /// `memoryBudget` defaults to `defaultMemoryBudget(for:)` of the weights' device.
    public init(weights: ModelWeights, parameters: AutoencoderParameters, memoryBudget: Int? = nil) throws(ModelLoadingError) {
        guard !parameters.channelMultipliers.isEmpty else {
            throw .unsupported(file: weights.file.path, reason: "the autoencoder has no resolution levels")
        }
        self.parameters = parameters
        context = weights.context
        // The SD VAE's 1×1 convolutions on the moments and on the latent (absent in the Flux AE).
        let moments = 2 * parameters.latentChannels
        let quantConv = try weights.contains("quant_conv.weight")
            ? Convolution(weights, "quant_conv", inputs: moments, outputs: moments, kernel: 1, Convolution2DParameters()) : nil
        let postQuantConv = try weights.contains("post_quant_conv.weight")
            ? Convolution(weights, "post_quant_conv", inputs: parameters.latentChannels, outputs: parameters.latentChannels,
                          kernel: 1, Convolution2DParameters()) : nil
        encoder = try parameters.encoderResBlockCount.map { count throws(ModelLoadingError) in
            try Encoder(weights.scoped("encoder."), parameters, resBlocks: count, quantConv: quantConv)
        }
        decoder = try parameters.decoderResBlockCount.map { count throws(ModelLoadingError) in
            try Decoder(weights.scoped("decoder."), parameters, resBlocks: count, postQuantConv: postQuantConv)
        }
        self.memoryBudget = memoryBudget ?? Self.defaultMemoryBudget(for: weights.context.device)
    }

    /// The autoencoder a file holds, found by its tensor names and shapes (any prefix: a bare
    /// `ae.safetensors`, or `vae.` / `first_stage_model.` inside a checkpoint).
    public init(file: ModelFile, context: VulkanContext, memoryBudget: Int? = nil) throws(ModelLoadingError) {
        let found = ArchitectureDetector.detect(file).lazy.compactMap { model -> (String, AutoencoderParameters)? in
            if case .autoencoder(let parameters) = model.architecture { (model.prefix, parameters) } else { nil }
        }.first
        guard let (prefix, parameters) = found, !parameters.channelMultipliers.isEmpty else {
            if file.tensors.contains(where: { $0.name.hasSuffix("decoder.up_blocks.0.resnets.0.norm1.weight") }) {
                throw .unsupported(file: file.path, reason: "a VAE in diffusers' layout (up_blocks, resnets); use the BFL / ComfyUI file (ae.safetensors)")
            }
            throw .unsupported(file: file.path, reason: "no autoencoder found (expected tensors such as decoder.conv_in.weight or encoder.conv_in.weight)")
        }
        try self.init(weights: ModelWeights(file: file, prefix: prefix, context: context), parameters: parameters, memoryBudget: memoryBudget)
    }

    public var latentChannels: Int { parameters.latentChannels }
    public var imageChannels: Int { parameters.imageChannels }
    /// Pixels per latent cell along each axis (8 for Flux and SD).
    public var downscaleFactor: Int { 1 << (parameters.channelMultipliers.count - 1) }
    public var canEncode: Bool { encoder != nil }
    public var canDecode: Bool { decoder != nil }

    /// The latent mean of `image` ([B, C, H, W] in [-1, 1]); H and W need not be multiples of the
    /// downscale factor (each downsample pads one row and column after). Tiled when `tiling` is
    /// given, or when one pass would not fit; `progress` gets (done, total) per tile and may throw to stop.
    public func encode(_ image: HostTensor, tiling: AutoencoderTiling = .automatic,
                       progress: (Int, Int) throws -> Void = { _, _ in }) throws -> HostTensor {
        guard let encoder else { throw AutoencoderError.missingHalf("encoder") }
        guard image.rank == 4, image.shape[1] == imageChannels else {
            throw AutoencoderError.badInput("encode expects images [batch, \(imageChannels), height, width], got \(image.shape)")
        }
        return try run(image, tiling: tiling, scale: .down(downscaleFactor), outputChannels: latentChannels, progress: progress) { (x: Tensor, recorder: CommandRecorder) throws(VulkanError) -> Tensor in
            try encoder(x, on: recorder)
        }
    }

    /// The image ([B, C, 8h, 8w], about [-1, 1], unclamped) for `latent` ([B, Z, h, w]).
    public func decode(_ latent: HostTensor, tiling: AutoencoderTiling = .automatic,
                       progress: (Int, Int) throws -> Void = { _, _ in }) throws -> HostTensor {
        guard let decoder else { throw AutoencoderError.missingHalf("decoder") }
        guard latent.rank == 4, latent.shape[1] == latentChannels else {
            throw AutoencoderError.badInput("decode expects latents [batch, \(latentChannels), height, width], got \(latent.shape)")
        }
        return try run(latent, tiling: tiling, scale: .up(downscaleFactor), outputChannels: imageChannels, progress: progress) { (x: Tensor, recorder: CommandRecorder) throws(VulkanError) -> Tensor in
            try decoder(x, on: recorder)
        }
    }

    /// One untiled pass over a batch on the device.
    func forward(_ input: HostTensor, _ body: (Tensor, CommandRecorder) throws(VulkanError) -> Tensor) throws(VulkanError) -> HostTensor {
        let recorder = try context.makeRecorder()
        let output = try body(context.upload(input.values, shape: input.shape), recorder)
        try recorder.submit()
        return HostTensor(shape: output.shape, values: try context.download(output))
    }
}

/// Why an encode or decode could not run.
public enum AutoencoderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file holds only the other half of the AE.
    case missingHalf(String)
    case badInput(String)
    /// Even the smallest tile does not fit the device.
    case tooLarge(String)

    public var description: String {
        switch self {
        case .missingHalf(let half): "the VAE file has no \(half)"
        case .badInput(let message): message
        case .tooLarge(let message): message
        }
    }
}

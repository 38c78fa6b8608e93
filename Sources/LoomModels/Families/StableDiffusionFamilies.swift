import Foundation
import LoomModelFiles
import LoomSampling

extension ModelFamily {
    /// SD1.x: a UNet without class conditioning on CLIP-L tokens, ε-prediction on the 4-channel SD VAE.
    public static let sd15 = ModelFamily(
        name: "SD1.5",
        recognises: { unet($0).map { $0.admInChannels == nil && !$0.usesLinearProjection } ?? false },
        detectionKeys: unetKeys + ["a convolutional proj_in"],
        latentFormat: .sd15, textEncoders: [.clipL],
        sampling: { _, _ in DiscreteModelSampling(prediction: .epsilon) },
        network: unetNetwork,
        conditioning: { inputs, network in
            NetworkConditioning(context: inputs.context, concat: try inpaintingChannels(inputs, network, format: .sd15))
        })

    /// SDXL base: CLIP-L and CLIP-G tokens, and an ADM vector of CLIP-G's pooled output and six size
    /// embeddings (height, width, crop top, crop left, target height, target width).
    public static let sdxl = ModelFamily(
        name: "SDXL",
        recognises: { unet($0).map { isSDXL($0) && !isSDXLRefiner($0) } ?? false },
        detectionKeys: unetKeys + ["label_emb.0.0.weight"],
        latentFormat: .sdxl, textEncoders: [.clipL, .clipG],
        sampling: { _, _ in DiscreteModelSampling(prediction: .epsilon) },
        network: unetNetwork,
        conditioning: { inputs, network in
            let size = inputs.size
            let width = size.width ?? inputs.noiseShape[3] * 8, height = size.height ?? inputs.noiseShape[2] * 8
            let vector = try admVector(inputs, [height, width, size.cropHeight ?? 0, size.cropWidth ?? 0,
                                                size.targetHeight ?? height, size.targetWidth ?? width].map(Double.init))
            return NetworkConditioning(context: inputs.context, vector: vector,
                                       concat: try inpaintingChannels(inputs, network, format: .sdxl))
        })

    /// The SDXL refiner: CLIP-G alone, with an aesthetic score (6 for the positive prompt, 2.5 for the
    /// negative by default) in place of the crop target.
    public static let sdxlRefiner = ModelFamily(
        name: "SDXL Refiner",
        recognises: { unet($0).map(isSDXLRefiner) ?? false },
        detectionKeys: unetKeys + ["label_emb.0.0.weight"],
        latentFormat: .sdxl, textEncoders: [.clipG],
        sampling: { _, _ in DiscreteModelSampling(prediction: .epsilon) },
        network: unetNetwork,
        conditioning: { inputs, network in
            let size = inputs.size
            let width = size.width ?? inputs.noiseShape[3] * 8, height = size.height ?? inputs.noiseShape[2] * 8
            let score = size.aestheticScore ?? (inputs.isNegative ? 2.5 : 6)
            let vector = try admVector(inputs, [Double(height), Double(width), Double(size.cropHeight ?? 0),
                                                Double(size.cropWidth ?? 0), score])
            return NetworkConditioning(context: inputs.context, vector: vector)
        })

    /// Lotus-D (depth): an SD2.x UNet with a 4-wide class vector (the task embedding), predicting the clean latent
    /// from the image's latent; its prompt is LotusConditioning's fixed null embedding.
    public static let lotus = ModelFamily(
        name: "Lotus",
        recognises: { unet($0).map(isLotus) ?? false },
        detectionKeys: unetKeys + ["label_emb.0.0.weight with 4 inputs"],
        latentFormat: .sd15, textEncoders: [],
        sampling: { _, _ in DiscreteModelSampling(prediction: .imageToImage) },
        network: unetNetwork,
        conditioning: { inputs, _ in
            // ComfyUI's Lotus `extra_conds`: the depth task's embedding (sin 1, sin 0, cos 1, cos 0) for every batch item.
            let batch = inputs.context.shape.first ?? 1
            let task: [Float] = [sinf(1), sinf(0), cosf(1), cosf(0)]
            return NetworkConditioning(context: inputs.context,
                                       vector: HostTensor(shape: [batch, 4], values: (0..<batch).flatMap { _ in task }))
        })

    private static let unetKeys = ["input_blocks.0.0.weight", "time_embed.0.weight"]

    private static func isLotus(_ parameters: UNetParameters) -> Bool {
        parameters.admInChannels == 4 && parameters.usesLinearProjection
    }

    private static func unet(_ architecture: ModelArchitecture) -> UNetParameters? {
        if case .unet(let parameters) = architecture { parameters } else { nil }
    }

    private static func isSDXL(_ parameters: UNetParameters) -> Bool {
        parameters.admInChannels != nil && parameters.usesLinearProjection && !isLotus(parameters)
    }

    /// The refiner's ADM is its pooled width (CLIP-G's, also its context width) and five embeddings;
    /// the base's adds CLIP-L to the context and a sixth embedding.
    private static func isSDXLRefiner(_ parameters: UNetParameters) -> Bool {
        isSDXL(parameters) && parameters.admInChannels.map { $0 - 5 * sizeEmbeddingWidth } == parameters.contextDimension
    }

    private static let sizeEmbeddingWidth = 256

    private static let unetNetwork: @Sendable (ModelArchitecture, ModelWeights) throws -> any DiffusionNetwork = { architecture, weights in
        guard case .unet(let parameters) = architecture else { throw ModelFamilyError.notThisFamily("UNet", architecture) }
        return try UNetModel(weights: weights, parameters: parameters)
    }

    /// The pooled vector followed by each value's 256-wide sinusoidal embedding ([cos | sin], as
    /// ComfyUI's `Timestep` embedder computes it in float32), for every batch item.
    private static func admVector(_ inputs: ConditioningInputs, _ values: [Double]) throws -> HostTensor {
        guard let pooled = inputs.pooled, pooled.rank == 2 else {
            throw ConditioningError("SDXL needs a pooled text vector; encode the prompt with an SDXL CLIP")
        }
        var embedding: [Float] = []
        let half = sizeEmbeddingWidth / 2
        let frequencies = (0..<half).map { expf(-logf(10_000) * Float($0) / Float(half)) }
        for value in values {
            let arguments = frequencies.map { Float(value) * $0 }
            embedding += arguments.map { cosf($0) } + arguments.map { sinf($0) }
        }
        let width = pooled.shape[1]
        var result: [Float] = []
        for item in 0..<pooled.shape[0] {
            result += pooled.values[(item * width)..<((item + 1) * width)] + embedding
        }
        return HostTensor(shape: [pooled.shape[0], width + embedding.count], values: result)
    }

    /// An inpainting UNet's extra channels (ComfyUI's `concat_cond` with keys mask, masked_image): the
    /// rounded mask, then the masked image's latent in model space; without a mask, ones and the
    /// latent being sampled.
    private static func inpaintingChannels(_ inputs: ConditioningInputs, _ network: any DiffusionNetwork,
                                           format: LatentFormat) throws -> HostTensor? {
        guard network.concatChannels > 0 else { return nil }
        let shape = inputs.noiseShape
        let (batch, height, width) = (shape[0], shape[2], shape[3])
        var image: HostTensor
        if let concat = inputs.concatLatentImage {
            guard concat.rank == 4 else { throw ConditioningError("the inpainting image latent has shape \(concat.shape)") }
            image = HostTensor(shape: concat.shape, values: format.processIn(concat.values))
        } else if let latent = inputs.latentImage {
            image = latent
        } else {
            throw ConditioningError("an inpainting model needs an image latent (InpaintModelConditioning or VAEEncodeForInpaint)")
        }
        image = image.resizedPlanes(height: height, width: width, method: .bilinear, centerCrop: true).resizedToBatch(batch)
        let mask: HostTensor
        if var given = inputs.concatMask ?? inputs.denoiseMask {
            if given.rank == 4 { given = HostTensor(shape: [given.shape[0], 1, given.shape[2], given.shape[3]],
                                                     values: firstChannel(given)) }
            if given.rank == 3 { given = HostTensor(shape: [given.shape[0], 1, given.shape[1], given.shape[2]], values: given.values) }
            guard given.rank == 4 else { throw ConditioningError("the inpainting mask has shape \(given.shape)") }
            let resized = given.resizedPlanes(height: height, width: width, method: .bilinear, centerCrop: true)
            mask = HostTensor(shape: resized.shape, values: resized.values.map { $0.rounded(.toNearestOrEven) }).resizedToBatch(batch)
        } else {
            mask = HostTensor(shape: [batch, 1, height, width], values: .init(repeating: 1, count: batch * height * width))
        }
        let combined = HostTensor.concatenatingChannels([mask, image])
        guard combined.shape[1] == network.concatChannels else {
            throw ConditioningError("built \(combined.shape[1]) inpainting channels, the model expects \(network.concatChannels)")
        }
        return combined
    }

    private static func firstChannel(_ tensor: HostTensor) -> [Float] {
        let (batch, channels, plane) = (tensor.shape[0], tensor.shape[1], tensor.shape[2] * tensor.shape[3])
        return (0..<batch).flatMap { tensor.values[($0 * channels * plane)..<($0 * channels * plane + plane)] }
    }
}

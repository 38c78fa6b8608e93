import LoomModelFiles
import LoomVulkan

/// ComfyUI's `CLIP_VISION_OUTPUT`, as `ClipVisionModel.encode_image` fills it.
public struct VisionEncoderOutput: Sendable {
    /// [B, tokens, width]: SigLIP's final tokens after `post_layernorm`; CLIP's last block output, unnormalised.
    public var lastHiddenState: HostTensor
    /// [B, tokens, width]: the output of the block before the last, unnormalised.
    public var penultimateHiddenStates: HostTensor
    /// SigLIP: the same tokens as `lastHiddenState` (ComfyUI skips the attention-pooling head). CLIP: the class
    /// token after `post_layernorm`, through `visual_projection` when the file has one, [B, projection].
    public var imageEmbeds: HostTensor

    public init(lastHiddenState: HostTensor, penultimateHiddenStates: HostTensor, imageEmbeds: HostTensor) {
        self.lastHiddenState = lastHiddenState
        self.penultimateHiddenStates = penultimateHiddenStates
        self.imageEmbeds = imageEmbeds
    }
}

/// A vision transformer under transformers' names (`vision_model.…`), as ComfyUI's `CLIPVisionModelProjection`
/// runs it. SigLIP: a patch convolution with bias, position embeddings, no class token and no pre-norm, GELU-tanh
/// MLPs, `post_layernorm` over every token. CLIP: a bias-free patch convolution, a class token, `pre_layrnorm`,
/// quick-GELU (OpenAI's ViT-L) or exact GELU (OpenCLIP's ViT-H and bigG, 32 and 48 blocks), `post_layernorm` on
/// the class token and an optional `visual_projection`. Sizes come from the file's shapes.
public struct VisionTransformer: Sendable {
    public enum Kind: Sendable, Hashable { case siglip, clip }

    public let kind: Kind
    public let parameters: VisionTransformerParameters
    public let headCount: Int
    public let activation: EncoderActivation
    /// How CLIPVisionEncode prepares images for this model.
    public let preprocessing: VisionPreprocessing
    let context: VulkanContext
    let patchEmbedding: Convolution
    let classEmbedding: [Float]?
    let positionEmbedding: Tensor
    let preNorm: LayerNormWeights?
    let layers: [EncoderLayer]
    let postNorm: LayerNormWeights
    let projection: Linear?

    /// Every ComfyUI vision config has 16 heads (of 64 to 104 channels); a width 16 heads cannot split into
    /// multiples of 4 channels (tiny test models) runs as one head.
    public static func defaultHeadCount(width: Int) -> Int { width % 64 == 0 ? 16 : 1 }

    public init(weights: ModelWeights, headCount: Int? = nil) throws(ModelLoadingError) {
        let detected = ArchitectureDetector.detect(weights.file).first { $0.prefix == weights.prefix }
        let kind: Kind, parameters: VisionTransformerParameters
        switch detected?.architecture {
        case .siglipVision(let found)?: (kind, parameters) = (.siglip, found)
        case .clipVision(let found)?: (kind, parameters) = (.clip, found)
        default:
            throw .unsupported(file: weights.file.path, reason: "no SigLIP or CLIP vision model\(weights.prefix.isEmpty ? "" : " under '\(weights.prefix)'") (expected vision_model.embeddings.patch_embedding.weight, vision_model.embeddings.position_embedding.weight and vision_model.encoder.layers.0.mlp.fc1.weight)")
        }
        let width = parameters.hiddenSize
        let heads = headCount ?? Self.defaultHeadCount(width: width)
        guard heads > 0, width % heads == 0, (width / heads) % 4 == 0 else {
            throw .unsupported(file: weights.file.path, reason: "vision width \(width) does not split into \(heads) heads of a multiple of 4")
        }
        guard parameters.layerCount > 0 else {
            throw .unsupported(file: weights.file.path, reason: "vision model has no vision_model.encoder.layers.N blocks")
        }
        self.kind = kind
        self.parameters = parameters
        self.headCount = heads
        activation = kind == .siglip ? .geluTanh : (parameters.layerCount >= 31 ? .gelu : .quickGELU)
        preprocessing = kind == .siglip ? .siglip(size: parameters.imageSize) : .clip(size: parameters.imageSize)
        context = weights.context
        let model = weights.scoped("vision_model.")
        let patch = parameters.patchSize
        patchEmbedding = try Convolution(model, "embeddings.patch_embedding", inputs: 3, outputs: width, kernel: patch,
                                         Convolution2DParameters(stride: (patch, patch)), hasBias: kind == .siglip)
        let grid = parameters.imageSize / patch
        let tokens = grid * grid + (kind == .clip ? 1 : 0)
        classEmbedding = kind == .clip ? try model.floats("embeddings.class_embedding") : nil
        if let classEmbedding, classEmbedding.count != width {
            throw .unexpectedShape(name: weights.prefix + "vision_model.embeddings.class_embedding", file: weights.file.path,
                                   expected: [width], found: [classEmbedding.count])
        }
        positionEmbedding = try model.float32("embeddings.position_embedding.weight", shape: [tokens, width])
        preNorm = kind == .clip ? try LayerNormWeights(model, "pre_layrnorm", width: width) : nil
        layers = try (0..<parameters.layerCount).map { (index: Int) throws(ModelLoadingError) in
            try EncoderLayer(model, "encoder.layers.\(index)", width: width, mlpHiddenSize: parameters.mlpHiddenSize)
        }
        postNorm = try LayerNormWeights(model, "post_layernorm", width: width)
        projection = kind == .clip && weights.contains("visual_projection.weight") ? try weights.linear("visual_projection", inputs: width) : nil
    }

    /// Encodes `pixels`, [B, 3, size, size] as `preprocessing` makes them.
    public func encode(_ pixels: HostTensor) throws -> VisionEncoderOutput {
        let size = parameters.imageSize
        guard pixels.rank == 4, pixels.shape[1] == 3, pixels.shape[2] == size, pixels.shape[3] == size, pixels.shape[0] > 0 else {
            throw VisionEncoderError.invalidPixels("the vision model takes pixels [batch, 3, \(size), \(size)], got \(pixels.shape)")
        }
        let batch = pixels.shape[0], width = parameters.hiddenSize
        let recorder = try context.makeRecorder()
        let patches = try patchEmbedding(context.upload(pixels.values, shape: pixels.shape), on: recorder)
        let grid = patches.shape[2] * patches.shape[3]
        var x = try recorder.permute(patches.reshaped([batch, width, grid]), [0, 2, 1])
        if let classEmbedding {
            let classTokens = try context.upload(Array([[Float]](repeating: classEmbedding, count: batch).joined()), shape: [batch, 1, width])
            x = try recorder.concatenate([classTokens, x], axis: 1)
        }
        x = try recorder.add(x, positionEmbedding)
        if let preNorm { x = try preNorm(x, on: recorder) }
        var penultimate = x
        for layer in layers {
            penultimate = x
            x = try layer(x, heads: headCount, activation: activation, on: recorder)
            try recorder.submit()
        }
        let tokens = x.shape[1]
        let last: Tensor, embeds: Tensor
        switch kind {
        case .siglip:
            last = try postNorm(x, on: recorder)
            embeds = last
        case .clip:
            last = x
            let pooled = try postNorm(recorder.contiguous(x.sliced(axis: 1, 0..<1)).reshaped([batch, width]), on: recorder)
            embeds = try projection.map { projection throws(VulkanError) in try projection(pooled, on: recorder) } ?? pooled
        }
        try recorder.submit()
        return VisionEncoderOutput(
            lastHiddenState: HostTensor(shape: [batch, tokens, width], values: try context.download(last)),
            penultimateHiddenStates: HostTensor(shape: [batch, tokens, width], values: try context.download(penultimate)),
            imageEmbeds: HostTensor(shape: embeds.shape, values: try context.download(embeds)))
    }
}

import LoomModelFiles
import LoomVulkan

/// The CLIP text transformer (CLIP-L in Flux and SD1.x, OpenCLIP ViT-G in SDXL) on the device: token
/// and position embeddings, pre-norm blocks with causal self-attention and GELU MLPs (quick-GELU in
/// OpenAI's CLIP-L, exact GELU in OpenCLIP's models), a final layer norm. Sizes come from the file's
/// shapes; tensors are read under transformers' names (`text_model.…`), to which the model-file
/// reader normalises OpenCLIP checkpoints.
public struct CLIPTextEncoder: Sendable {
    public let parameters: CLIPTextParameters
    public let headCount: Int
    public let activation: Activation
    let context: VulkanContext
    /// Stored dtype, gathered row by row on the device.
    let tokenEmbedding: Tensor
    let positionEmbedding: Tensor
    let layers: [EncoderLayer]
    let finalNorm: LayerNormWeights
    let projection: Linear?

    /// The end-of-text token, which ComfyUI pools at: the last row of the embedding table (49407 in CLIP-L).
    public var endToken: Int { parameters.vocabularySize - 1 }
    /// The start-of-text token, just before the end token (49406 in CLIP-L).
    public var startToken: Int { parameters.vocabularySize - 2 }

    /// The MLP's nonlinearity: quick-GELU in OpenAI's CLIP-L, exact GELU in OpenCLIP's models.
    public typealias Activation = EncoderActivation

    /// `headDimension` is 64 in every released CLIP text model; the head count follows from the width.
    public init(weights: ModelWeights, headDimension: Int = 64, activation: Activation = .quickGELU) throws(ModelLoadingError) {
        let detected = ArchitectureDetector.detect(weights.file).first { $0.prefix == weights.prefix }
        guard case .clipText(let parameters)? = detected?.architecture else {
            throw .unsupported(file: weights.file.path, reason: "no CLIP text model\(weights.prefix.isEmpty ? "" : " under '\(weights.prefix)'") (expected text_model.embeddings.token_embedding.weight)")
        }
        try self.init(weights: weights, parameters: parameters, headCount: max(parameters.width / headDimension, 1), activation: activation)
    }

    /// With an explicit head count, for models whose heads are not 64 wide.
    public init(weights: ModelWeights, parameters: CLIPTextParameters, headCount: Int,
                activation: Activation = .quickGELU) throws(ModelLoadingError) {
        let width = parameters.width
        guard headCount > 0, width % headCount == 0, (width / headCount) % 4 == 0 else {
            throw .unsupported(file: weights.file.path, reason: "CLIP width \(width) does not split into \(headCount) heads of a multiple of 4")
        }
        self.parameters = parameters
        self.headCount = headCount
        self.activation = activation
        context = weights.context
        let model = weights.scoped("text_model.")
        tokenEmbedding = try model.tensor("embeddings.token_embedding.weight", shape: [parameters.vocabularySize, width])
        positionEmbedding = try model.float32("embeddings.position_embedding.weight", shape: [parameters.maximumPositions, width])
        layers = try (0..<parameters.layerCount).map { (index: Int) throws(ModelLoadingError) in
            try EncoderLayer(model, "encoder.layers.\(index)", width: width, mlpHiddenSize: parameters.mlpHiddenSize)
        }
        finalNorm = try LayerNormWeights(model, "final_layer_norm", width: width)
        projection = parameters.hasProjection ? try weights.linear("text_projection", inputs: width) : nil
    }

    /// Which hidden state `encode` returns as the sequence.
    public enum OutputLayer: Sendable, Hashable {
        /// After the last block and the final layer norm.
        case last
        /// After block `index` (negative counts from the end, −2 being the penultimate, as CLIPSetLastLayer
        /// sets it).
        case hidden(Int)
    }

    /// Encodes windows of token ids (all the same length, at most `maximumPositions`) in one batch.
    /// `hidden` is [windows, length, width]; `pooled` [windows, width] is the final output at each
    /// window's first end token (position 0 without one), projected when `projected` and the file has
    /// `text_projection`. `normalizesHidden`: an intermediate layer gets the final layer norm, as
    /// ComfyUI's `layer_norm_hidden_state` (on for SD1.x, off for SDXL).
    public func encode(_ windows: [[Int]], layer: OutputLayer = .last, projected: Bool = false,
                       normalizesHidden: Bool = true) throws -> (hidden: HostTensor, pooled: HostTensor) {
        let batch = windows.count
        guard let length = windows.first?.count, length > 0, windows.allSatisfy({ $0.count == length }) else {
            throw TextEncoderError.invalidTokens("CLIP windows must be non-empty and of equal length, got lengths \(windows.map(\.count))")
        }
        guard length <= parameters.maximumPositions else {
            throw TextEncoderError.invalidTokens("CLIP takes at most \(parameters.maximumPositions) tokens per window, got \(length)")
        }
        if let bad = windows.joined().first(where: { !(0..<parameters.vocabularySize).contains($0) }) {
            throw TextEncoderError.invalidTokens("token id \(bad) is outside the CLIP vocabulary of \(parameters.vocabularySize)")
        }
        let intermediate = try intermediateIndex(layer)
        let width = parameters.width
        let recorder = try context.makeRecorder()
        let tokens = try recorder.embedding(tokenEmbedding, ids: windows.flatMap { $0 }).reshaped([batch, length, width])
        var x = try recorder.add(tokens, positionEmbedding.sliced(axis: 0, 0..<length))
        // Causal mask: position i sees positions 0...i.
        let maskValues = (0..<length).flatMap { row in (0..<length).map { column in column > row ? -Float.infinity : 0 } }
        let mask = try context.upload(maskValues, shape: [length, length])
        var selected: Tensor?
        for (index, block) in layers.enumerated() {
            x = try block(x, heads: headCount, mask: mask, activation: activation, on: recorder)
            if index == intermediate { selected = normalizesHidden ? try finalNorm(x, on: recorder) : x }
        }
        let output = try finalNorm(x, on: recorder)
        let ends = windows.map { $0.firstIndex(of: endToken) ?? 0 }
        var pooledRows: [Tensor] = []
        for (batchIndex, position) in ends.enumerated() {
            var row = try output.sliced(axis: 0, batchIndex..<(batchIndex + 1)).sliced(axis: 1, position..<(position + 1)).reshaped([1, width])
            if projected, let projection { row = try projection(row, on: recorder) }
            pooledRows.append(row)
        }
        let pooled = try recorder.concatenate(pooledRows, axis: 0)
        try recorder.submit()
        let sequence = selected ?? output
        return (HostTensor(shape: [batch, length, width], values: try context.download(sequence)),
                HostTensor(shape: pooled.shape, values: try context.download(pooled)))
    }

    /// The block whose output `layer` selects, or nil for the final output. ComfyUI treats an index whose
    /// magnitude exceeds the depth as "last".
    private func intermediateIndex(_ layer: OutputLayer) throws -> Int? {
        guard case .hidden(let index) = layer, abs(index) <= layers.count else { return nil }
        let resolved = index < 0 ? layers.count + index : index
        guard layers.indices.contains(resolved) else {
            throw TextEncoderError.unknownLayer(index, layerCount: layers.count)
        }
        return resolved
    }
}

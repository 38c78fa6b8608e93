import Foundation
import LoomModelFiles
import LoomVulkan

/// The T5 encoder stack (T5 v1.1 XXL in Flux) on the device: RMS-normed pre-norm blocks, unscaled
/// self-attention with a learned relative position bias (computed by block 0, shared by every block),
/// gated-GELU (tanh) feed-forward layers. Weights stay in their stored dtype (f16, bf16, fp8 e4m3fn and
/// ComfyUI's scaled fp8); activations and accumulation are f32, so fp16 checkpoints cannot overflow.
public struct T5Encoder: Sendable {
    public let parameters: T5EncoderParameters
    /// T5's bucketing of relative positions: distances at or beyond this share the last bucket.
    public static let maximumDistance = 128
    let context: VulkanContext
    let embedding: Tensor
    /// The scaled-fp8 factor of the embedding table, 1 for other files.
    let embeddingScale: Float
    /// [buckets, heads], small enough to expand on the host for each sequence length.
    let relativeBias: [Float]
    let blocks: [Block]
    let finalNorm: Tensor

    struct Block: Sendable {
        let attentionNorm: Tensor
        let query, key, value, output: Linear
        let feedForwardNorm: Tensor
        /// `wi_0` (gated, through GELU) or `wi` (ReLU).
        let gate: Linear
        /// `wi_1`, the linear half of the gated feed-forward; nil in ReLU models.
        let up: Linear?
        let down: Linear
    }

    public init(weights: ModelWeights) throws(ModelLoadingError) {
        let detected = ArchitectureDetector.detect(weights.file).first { $0.prefix == weights.prefix }
        guard case .t5Encoder(let parameters)? = detected?.architecture,
              weights.contains("encoder.block.0.layer.0.SelfAttention.q.weight")
        else {
            throw .unsupported(file: weights.file.path, reason: "no T5 encoder\(weights.prefix.isEmpty ? "" : " under '\(weights.prefix)'") (expected encoder.block.N.layer.… tensors)")
        }
        let (width, inner) = (parameters.modelDimension, parameters.headCount * parameters.headDimension)
        // Fewer than four buckets leave the logarithmic range empty (a division by zero in the bucket formula).
        guard parameters.relativeAttentionBuckets >= 4 else {
            throw .unsupported(file: weights.file.path, reason: "T5 relative_attention_bias has \(parameters.relativeAttentionBuckets) buckets; at least 4 are needed")
        }
        guard parameters.headDimension % 4 == 0 else {
            throw .unsupported(file: weights.file.path, reason: "T5 head dimension \(parameters.headDimension) is not a multiple of 4")
        }
        self.parameters = parameters
        context = weights.context
        let embeddingName = weights.contains("shared.weight") ? "shared.weight" : "encoder.embed_tokens.weight"
        embedding = try Self.embeddingTable(weights, embeddingName)
        guard embedding.rank == 2, embedding.shape[1] == width else {
            throw .unexpectedShape(name: weights.prefix + embeddingName, file: weights.file.path, expected: [-1, width], found: embedding.shape)
        }
        embeddingScale = weights.file.weightScale(for: weights.prefix + embeddingName)?.floats().first ?? 1
        relativeBias = try weights.floats("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight")
        blocks = try (0..<parameters.layerCount).map { (index: Int) throws(ModelLoadingError) -> Block in
            let attention = weights.scoped("encoder.block.\(index).layer.0.")
            let feedForward = weights.scoped("encoder.block.\(index).layer.1.")
            let ff = parameters.feedForwardSize
            return Block(
                attentionNorm: try attention.float32("layer_norm.weight", shape: [width]),
                query: try attention.linear("SelfAttention.q", inputs: width, outputs: inner),
                key: try attention.linear("SelfAttention.k", inputs: width, outputs: inner),
                value: try attention.linear("SelfAttention.v", inputs: width, outputs: inner),
                output: try attention.linear("SelfAttention.o", inputs: inner, outputs: width),
                feedForwardNorm: try feedForward.float32("layer_norm.weight", shape: [width]),
                gate: try feedForward.linear(parameters.isGated ? "DenseReluDense.wi_0" : "DenseReluDense.wi", inputs: width, outputs: ff),
                up: parameters.isGated ? try feedForward.linear("DenseReluDense.wi_1", inputs: width, outputs: ff) : nil,
                down: try feedForward.linear("DenseReluDense.wo", inputs: ff, outputs: width))
        }
        finalNorm = try weights.float32("encoder.final_layer_norm.weight", shape: [width])
    }

    /// The embedding table as stored. ComfyUI runs `nan_to_num` on the embeddings of fp8 T5 files; e4m3fn has
    /// no infinities, so that means reading its NaN bytes (0x7F, 0xFF) as zero, which the upload does.
    private static func embeddingTable(_ weights: ModelWeights, _ name: String) throws(ModelLoadingError) -> Tensor {
        let stored = try weights.stored(name)
        guard stored.dataType == .float8E4M3 else { return try weights.tensor(name) }
        let bytes = stored.withUnsafeBytes { stored in stored.map { $0 & 0x7F == 0x7F ? 0 : $0 } }
        do {
            return try bytes.withUnsafeBytes { try weights.context.upload(bytes: $0, shape: stored.shape, dtype: .f8E4M3) }
        } catch {
            throw .device(String(describing: error))
        }
    }

    public var vocabularySize: Int { embedding.shape[0] }

    /// Encodes windows of token ids (all the same length) in one batch, attending to every position as
    /// ComfyUI's Flux text encoder does (no padding mask). The result is [windows, length, d_model]
    /// after the final RMS norm.
    public func encode(_ windows: [[Int]]) throws -> HostTensor {
        let batch = windows.count
        guard let length = windows.first?.count, length > 0, windows.allSatisfy({ $0.count == length }) else {
            throw TextEncoderError.invalidTokens("T5 windows must be non-empty and of equal length, got lengths \(windows.map(\.count))")
        }
        if let bad = windows.joined().first(where: { !(0..<vocabularySize).contains($0) }) {
            throw TextEncoderError.invalidTokens("token id \(bad) is outside the T5 vocabulary of \(vocabularySize)")
        }
        let width = parameters.modelDimension
        let recorder = try context.makeRecorder()
        var x = try recorder.embedding(embedding, ids: windows.flatMap { $0 }).reshaped([batch, length, width])
        if embeddingScale != 1 { x = try recorder.scaled(x, by: embeddingScale) }
        let bias = try context.upload(positionBias(length: length), shape: [1, parameters.headCount, length, length])
        for block in blocks {
            let normed = try recorder.rmsNorm(x, weight: block.attentionNorm, epsilon: 1e-6)
            // T5 folds the 1/√d scale into its initialisation: logits are plain q·k.
            let attended = try recorder.attention(
                query: block.query(normed, on: recorder), key: block.key(normed, on: recorder), value: block.value(normed, on: recorder),
                heads: parameters.headCount, bias: bias, scale: 1)
            x = try recorder.add(x, block.output(attended, on: recorder))
            let ffInput = try recorder.rmsNorm(x, weight: block.feedForwardNorm, epsilon: 1e-6)
            let hidden: Tensor
            if let up = block.up {
                hidden = try recorder.multiply(recorder.gelu(block.gate(ffInput, on: recorder), approximation: .tanh), up(ffInput, on: recorder))
            } else {
                hidden = try recorder.relu(block.gate(ffInput, on: recorder))
            }
            x = try recorder.add(x, block.down(hidden, on: recorder))
            // Submitting per block frees each block's activations (about 50 MB for 256 XXL tokens) before the next.
            try recorder.submit()
        }
        let output = try recorder.rmsNorm(x, weight: finalNorm, epsilon: 1e-6)
        try recorder.submit()
        return HostTensor(shape: [batch, length, width], values: try context.download(output))
    }

    /// The relative position bias [heads, length, length]: entry (h, i, j) is the learned bias of head h
    /// for the bucket of j − i.
    func positionBias(length: Int) -> [Float] {
        let heads = parameters.headCount
        let buckets = (-(length - 1)..<length).map { Self.bucket(relativePosition: $0, bucketCount: parameters.relativeAttentionBuckets) }
        var values = [Float](repeating: 0, count: heads * length * length)
        for head in 0..<heads {
            for i in 0..<length {
                for j in 0..<length {
                    values[(head * length + i) * length + j] = relativeBias[buckets[j - i + length - 1] * heads + head]
                }
            }
        }
        return values
    }

    /// T5's bidirectional bucket of a relative position (memory − query): half the buckets for each
    /// direction, exact for distances below a quarter of the buckets, logarithmic up to
    /// `maximumDistance`. The logarithm is taken in f32 as PyTorch does, so boundaries match.
    static func bucket(relativePosition: Int, bucketCount: Int) -> Int {
        let half = bucketCount / 2
        let exact = half / 2
        let distance = abs(relativePosition)
        let offset = relativePosition > 0 ? half : 0
        if distance < exact { return offset + distance }
        let scale = Float(log(Double(maximumDistance) / Double(exact)))
        let position = logf(Float(distance) / Float(exact)) / scale * Float(half - exact)
        guard position.isFinite, position < Float(half) else { return offset + half - 1 }
        return offset + min(exact + Int(position), half - 1)
    }
}

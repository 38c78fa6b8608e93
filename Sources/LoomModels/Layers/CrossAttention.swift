import LoomVulkan

/// LDM's `CrossAttention`: bias-free q, k, v projections, softmax attention over `heads` heads,
/// an output projection with bias (`to_out.0`). Keys and values come from `context` when given
/// (cross-attention), else from the queries' own tokens (self-attention).
struct CrossAttention: Sendable {
    let query: Linear
    let key: Linear
    let value: Linear
    let output: Linear
    let heads: Int

    /// - Parameter contextWidth: the width of the key/value tokens; nil for self-attention.
    init(_ weights: ModelWeights, _ module: String, width: Int, contextWidth: Int?, heads: Int) throws(ModelLoadingError) {
        let block = weights.scoped(module + ".")
        let headDimension = heads > 0 ? width / heads : 0
        guard heads > 0, width % heads == 0, headDimension % 4 == 0 else {
            throw .unsupported(file: weights.file.path, reason: "\(weights.prefix)\(module): \(heads) heads over \(width) channels; the attention shader needs head widths that are multiples of 4")
        }
        query = try block.linear("to_q", inputs: width, outputs: width)
        key = try block.linear("to_k", inputs: contextWidth ?? width, outputs: width)
        value = try block.linear("to_v", inputs: contextWidth ?? width, outputs: width)
        output = try block.linear("to_out.0", inputs: width, outputs: width)
        self.heads = heads
    }

    /// `x` is [B, L, width], `context` [B, T, contextWidth]; the result is [B, L, width], added
    /// to `residual` by the output projection when one is given.
    func callAsFunction(_ x: Tensor, context: Tensor? = nil, addingTo residual: Tensor? = nil,
                        on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        let source = context ?? x
        let attended = try recorder.attention(query: query(x, on: recorder), key: key(source, on: recorder),
                                              value: value(source, on: recorder), heads: heads)
        return try output(attended, epilogue: residual.map { .adding(to: $0) } ?? .none, on: recorder)
    }
}

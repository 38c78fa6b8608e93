import LoomVulkan

/// Attention as both block types run it: per-head RMSNorm on q and k, RoPE, then softmax
/// attention over all tokens.
struct FluxAttention: Sendable {
    static let epsilon: Float = 1e-6

    let heads: Int
    let headDimension: Int

    /// Columns `start ..< start + heads·D` of `x` ([B, L, W], contiguous rows) as a [B, L, heads, D] view.
    func headView(of x: Tensor, startingAt start: Int) -> Tensor {
        Tensor(storage: x.storage, dtype: x.dtype, shape: [x.shape[0], x.shape[1], heads, headDimension],
               strides: [x.strides[0], x.strides[1], headDimension, 1], offset: x.offset + start)
    }

    /// A [B, heads, tokens, D] tensor of `dtype` for the queries or keys of the whole (joint) sequence.
    func makeJoint(batch: Int, tokens: Int, dtype: DType, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        try recorder.context.makeTensor(shape: [batch, heads, tokens, headDimension], dtype: dtype)
    }

    /// RMSNorm of each head of `x` (a [B, L, heads, D] view) with a learned scale [D], then RoPE
    /// with the rotary table's rows for `tokens` (positions in the joint sequence), stored into
    /// those tokens of `joint` ([B, heads, all tokens, D]).
    func normalizeAndRotate(_ x: Tensor, scale: Tensor, table: Tensor, tokens: Range<Int>, into joint: Tensor,
                            on recorder: CommandRecorder) throws(VulkanError) {
        try recorder.rmsNormRope(x.permuted([0, 2, 1, 3]), weight: scale, epsilon: Self.epsilon,
                                 table: table.sliced(axis: 0, tokens), into: joint.sliced(axis: 2, tokens))
    }

    /// Attention of rotated q and k ([B, heads, L, D]) and v ([B, L, heads, D], any strides with
    /// contiguous rows) with an optional additive `bias` over the joint sequence; the result is
    /// [B, L, heads·D] of `dtype`.
    func callAsFunction(query: Tensor, key: Tensor, value: Tensor, bias: QueryRunBias?, storing dtype: DType,
                        on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        let v = try value.permuted([0, 2, 1, 3])
        return if let bias { try recorder.attention(query: query, key: key, value: v, bias: bias, mergingHeads: true, outputDType: dtype) }
            else { try recorder.attention(query: query, key: key, value: v, mergingHeads: true, outputDType: dtype) }
    }
}

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

    /// RMSNorm of each head of a [B, L, heads, D] view with a learned scale [D]; contiguous result.
    func normalized(_ x: Tensor, scale: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        try recorder.rmsNorm(x, weight: scale, epsilon: Self.epsilon)
    }

    /// Attention of normalised q and k (contiguous [B, L, heads, D]) and v ([B, L, heads, D],
    /// any strides with contiguous rows) with rotary `table` and an optional additive `bias` over the joint
    /// sequence; the result is [B, L, heads·D].
    func callAsFunction(query: Tensor, key: Tensor, value: Tensor, table: Tensor, bias: QueryRunBias?,
                        on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        let q = try recorder.rope(query.permuted([0, 2, 1, 3]), table: table)
        let k = try recorder.rope(key.permuted([0, 2, 1, 3]), table: table)
        let v = try value.permuted([0, 2, 1, 3])
        return if let bias { try recorder.attention(query: q, key: k, value: v, bias: bias, mergingHeads: true) }
            else { try recorder.attention(query: q, key: k, value: v, mergingHeads: true) }
    }
}

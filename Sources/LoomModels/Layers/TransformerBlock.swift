import LoomVulkan

/// LDM's `BasicTransformerBlock`, pre-norm: self-attention, cross-attention on the context
/// tokens, GEGLU feed-forward, each added back to the tokens.
struct TransformerBlock: Sendable {
    let norm1: LayerNormWeights
    let selfAttention: CrossAttention
    let norm2: LayerNormWeights
    let crossAttention: CrossAttention
    let norm3: LayerNormWeights
    let feedForward: GatedFeedForward

    init(_ weights: ModelWeights, _ module: String, width: Int, contextWidth: Int, heads: Int) throws(ModelLoadingError) {
        let block = weights.scoped(module + ".")
        norm1 = try LayerNormWeights(block, "norm1", width: width)
        selfAttention = try CrossAttention(block, "attn1", width: width, contextWidth: nil, heads: heads)
        norm2 = try LayerNormWeights(block, "norm2", width: width)
        crossAttention = try CrossAttention(block, "attn2", width: width, contextWidth: contextWidth, heads: heads)
        norm3 = try LayerNormWeights(block, "norm3", width: width)
        feedForward = try GatedFeedForward(block, "ff", width: width)
    }

    /// `x` is [B, L, width], `context` [B, T, contextWidth].
    func callAsFunction(_ x: Tensor, context: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        var x = try selfAttention(norm1(x, on: recorder), addingTo: x, on: recorder)
        x = try crossAttention(norm2(x, on: recorder), context: context, addingTo: x, on: recorder)
        try recorder.submit()
        return try recorder.add(x, feedForward(norm3(x, on: recorder), on: recorder))
    }
}

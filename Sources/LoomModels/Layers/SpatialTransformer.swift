import LoomVulkan

/// LDM's `SpatialTransformer`: GroupNorm (ε 1e-6), `proj_in` to tokens (a 1×1 convolution in
/// SD1.x, a linear in SD2.x and SDXL — the same product, both run as a linear over pixel rows),
/// transformer blocks attending to the context, `proj_out`, and the input added back.
struct SpatialTransformer: Sendable {
    static let epsilon: Float = 1e-6

    let norm: GroupNormalization
    let projectIn: Linear
    let blocks: [TransformerBlock]
    let projectOut: Linear

    init(_ weights: ModelWeights, _ module: String, channels: Int, depth: Int, contextWidth: Int, heads: Int) throws(ModelLoadingError) {
        let transformer = weights.scoped(module + ".")
        norm = try GroupNormalization(transformer, "norm", channels: channels, epsilon: Self.epsilon)
        projectIn = try Linear(pointwise: transformer, "proj_in", inputs: channels, outputs: channels)
        var blocks: [TransformerBlock] = []
        for index in 0..<depth {
            blocks.append(try TransformerBlock(transformer, "transformer_blocks.\(index)", width: channels,
                                               contextWidth: contextWidth, heads: heads))
        }
        self.blocks = blocks
        projectOut = try Linear(pointwise: transformer, "proj_out", inputs: channels, outputs: channels)
    }

    /// `x` is [B, C, H, W], `context` [B, T, contextWidth]; submits after every block.
    func callAsFunction(_ x: Tensor, context: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        // [B, C, H, W] → [B, H·W, C]: pixels become tokens.
        let pixels = try recorder.permute(norm(x, on: recorder), [0, 2, 3, 1]).reshaped([batch, height * width, channels])
        var tokens = try projectIn(pixels, on: recorder)
        for block in blocks {
            tokens = try block(tokens, context: context, on: recorder)
            try recorder.submit()
        }
        let projected = try projectOut(tokens, on: recorder).reshaped([batch, height, width, channels])
        return try recorder.add(x, projected.permuted([0, 3, 1, 2]))
    }
}

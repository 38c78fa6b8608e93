import LoomVulkan

/// `skip(x) + conv2(silu(norm2(conv1(silu(norm1(x))) + emb)))`: the residual block of the
/// autoencoders (no time embedding) and of the diffusion UNet (`emb` a projection of the timestep
/// embedding, one value per channel). The skip is a 1×1 convolution when the width changes.
struct ResNetBlock: Sendable {
    /// Where a block's tensors live under its module, which differs between layouts.
    struct Layout: Sendable {
        let norm1: String
        let conv1: String
        /// The linear projecting the (already SiLU-activated) time embedding; nil without one.
        let timeEmbedding: String?
        let norm2: String
        let conv2: String
        let shortcut: String
        /// GroupNorm epsilon of both norms.
        let epsilon: Float

        /// The AE's `ResnetBlock` (BFL, ComfyUI and LDM autoencoders).
        static let autoencoder = Layout(norm1: "norm1", conv1: "conv1", timeEmbedding: nil, norm2: "norm2", conv2: "conv2",
                                        shortcut: "nin_shortcut", epsilon: 1e-6)
        /// The LDM UNet's `ResBlock`: `in_layers` (norm, SiLU, conv), `emb_layers` (SiLU, linear),
        /// `out_layers` (norm, SiLU, dropout, conv), `skip_connection`.
        static let unet = Layout(norm1: "in_layers.0", conv1: "in_layers.2", timeEmbedding: "emb_layers.1", norm2: "out_layers.0",
                                 conv2: "out_layers.3", shortcut: "skip_connection", epsilon: 1e-5)
    }

    let norm1: GroupNormalization
    let conv1: Convolution
    let timeEmbedding: Linear?
    let norm2: GroupNormalization
    let conv2: Convolution
    let shortcut: Convolution?

    /// - Parameter timeEmbeddingWidth: the width of the time embedding, for layouts that project one.
    init(_ weights: ModelWeights, _ module: String, _ layout: Layout, inputs: Int, outputs: Int,
         timeEmbeddingWidth: Int? = nil) throws(ModelLoadingError) {
        let block = weights.scoped(module + ".")
        norm1 = try GroupNormalization(block, layout.norm1, channels: inputs, epsilon: layout.epsilon)
        conv1 = try .same(block, layout.conv1, inputs: inputs, outputs: outputs)
        timeEmbedding = try layout.timeEmbedding.map { name throws(ModelLoadingError) in
            try block.linear(name, inputs: timeEmbeddingWidth, outputs: outputs)
        }
        norm2 = try GroupNormalization(block, layout.norm2, channels: outputs, epsilon: layout.epsilon)
        conv2 = try .same(block, layout.conv2, inputs: outputs, outputs: outputs)
        shortcut = inputs == outputs ? nil : try .pointwise(block, layout.shortcut, inputs: inputs, outputs: outputs)
    }

    var outputChannels: Int { conv2.outputChannels }

    /// `x` is [B, C, H, W]; `activatedEmbedding` is silu(emb) [B, E] for blocks with a time
    /// embedding. Submits halfway, so that the first half's temporaries are freed before the
    /// second half allocates its own: the block's peak memory drops by about a quarter.
    func callAsFunction(_ x: Tensor, activatedEmbedding: Tensor? = nil, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        var h = try conv1(norm1.activated(x, feeding: conv1, on: recorder), on: recorder)
        if let timeEmbedding {
            guard let activatedEmbedding else { throw .invalidArgument("ResNetBlock: this block needs a time embedding") }
            let projected = try timeEmbedding(activatedEmbedding, on: recorder)
            h = try recorder.add(h, projected.reshaped([projected.shape[0], projected.shape[1], 1, 1]))
        }
        try recorder.submit()
        h = try conv2(norm2.activated(h, feeding: conv2, on: recorder), on: recorder)
        let skip = try shortcut?(x, on: recorder) ?? x
        return try recorder.add(skip, h)
    }
}

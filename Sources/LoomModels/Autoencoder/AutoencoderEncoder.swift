import LoomModelFiles
import LoomVulkan

extension Autoencoder {
    /// Pixels in [-1, 1] to the mean of the latent distribution: conv_in, per level res blocks and
    /// (except the last) a stride-2 downsample, the mid block, norm_out, SiLU, conv_out.
    struct Encoder: Sendable {
        struct Level: Sendable {
            let blocks: [ResNetBlock]
            let downsample: Downsample?
        }

        let convIn: Convolution
        let levels: [Level]
        let mid: MidBlock
        let normOut: GroupNormalization
        let convOut: Convolution
        let quantConv: Convolution?
        let latentChannels: Int

        init(_ weights: ModelWeights, _ parameters: AutoencoderParameters, resBlocks: Int,
             quantConv: Convolution?) throws(ModelLoadingError) {
            let base = parameters.baseChannels
            convIn = try .same(weights, "conv_in", inputs: parameters.imageChannels, outputs: base)
            var width = base
            var levels: [Level] = []
            for (index, multiplier) in parameters.channelMultipliers.enumerated() {
                var blocks: [ResNetBlock] = []
                for block in 0..<resBlocks {
                    blocks.append(try ResNetBlock(weights, "down.\(index).block.\(block)", .autoencoder, inputs: width, outputs: base * multiplier))
                    width = base * multiplier
                }
                let downsample = index == parameters.channelMultipliers.count - 1 ? nil
                    : try Downsample(weights, "down.\(index).downsample.conv", channels: width, padding: .trailing)
                levels.append(Level(blocks: blocks, downsample: downsample))
            }
            self.levels = levels
            mid = try MidBlock(weights, channels: width)
            normOut = try GroupNormalization(weights, "norm_out", channels: width, epsilon: 1e-6)
            // The encoder returns mean and log-variance; only the mean is used.
            convOut = try .same(weights, "conv_out", inputs: width, outputs: 2 * parameters.latentChannels)
            self.quantConv = quantConv
            latentChannels = parameters.latentChannels
        }

        /// `image` is [B, C, H, W] in [-1, 1]; the recorder is submitted after every block so that
        /// finished activations are freed as the pass goes on.
        func callAsFunction(_ image: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
            var h = try convIn(image, on: recorder)
            for level in levels {
                for block in level.blocks {
                    h = try block(h, on: recorder)
                    try recorder.submit()
                }
                if let downsample = level.downsample {
                    h = try downsample(h, on: recorder)
                    try recorder.submit()
                }
            }
            h = try mid(h, on: recorder)
            h = try convOut(normOut.activated(h, feeding: convOut, on: recorder), on: recorder)
            if let quantConv { h = try quantConv(h, on: recorder) }
            return try recorder.slice(h, axis: 1, 0..<latentChannels)
        }
    }
}

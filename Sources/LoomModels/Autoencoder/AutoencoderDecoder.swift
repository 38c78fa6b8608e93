import LoomModelFiles
import LoomVulkan

extension Autoencoder {
    /// Latents to pixels in about [-1, 1]: conv_in, the mid block, then the levels from the lowest
    /// resolution up (BFL's `up.N-1` first), each with res blocks and (except `up.0`) a nearest ×2
    /// upsample followed by a 3×3 convolution; norm_out, SiLU, conv_out.
    struct Decoder: Sendable {
        struct Level: Sendable {
            let blocks: [ResNetBlock]
            let upsample: Upsample?
        }

        let convIn: Convolution
        let mid: MidBlock
        /// Highest resolution first, as the file numbers them; run in reverse.
        let levels: [Level]
        let normOut: GroupNormalization
        let convOut: Convolution
        let postQuantConv: Convolution?

        init(_ weights: ModelWeights, _ parameters: AutoencoderParameters, resBlocks: Int,
             postQuantConv: Convolution?) throws(ModelLoadingError) {
            let base = parameters.baseChannels
            let multipliers = parameters.channelMultipliers
            var width = base * multipliers[multipliers.count - 1]
            convIn = try .same(weights, "conv_in", inputs: parameters.latentChannels, outputs: width)
            mid = try MidBlock(weights, channels: width)
            var levels: [Level] = []
            for index in multipliers.indices.reversed() {
                var blocks: [ResNetBlock] = []
                for block in 0..<resBlocks {
                    blocks.append(try ResNetBlock(weights, "up.\(index).block.\(block)", .autoencoder, inputs: width, outputs: base * multipliers[index]))
                    width = base * multipliers[index]
                }
                let upsample = index == 0 ? nil : try Upsample(weights, "up.\(index).upsample.conv", channels: width)
                levels.insert(Level(blocks: blocks, upsample: upsample), at: 0)
            }
            self.levels = levels
            normOut = try GroupNormalization(weights, "norm_out", channels: width, epsilon: 1e-6)
            convOut = try .same(weights, "conv_out", inputs: width, outputs: parameters.imageChannels)
            self.postQuantConv = postQuantConv
        }

        /// `latent` is [B, Z, h, w]; submits after every block, as the encoder does.
        func callAsFunction(_ latent: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
            let latent = try postQuantConv.map { conv throws(VulkanError) in try conv(latent, on: recorder) } ?? latent
            var h = try mid(convIn(latent, on: recorder), on: recorder)
            for level in levels.reversed() {
                for block in level.blocks {
                    h = try block(h, on: recorder)
                    try recorder.submit()
                }
                if let upsample = level.upsample {
                    h = try upsample(h, on: recorder)
                    try recorder.submit()
                }
            }
            return try convOut(normOut.activated(h, feeding: convOut, on: recorder), on: recorder)
        }
    }
}

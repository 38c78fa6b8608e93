import LoomVulkan

extension Autoencoder {
    /// Res block, attention, res block at the lowest resolution, in both halves of the AE.
    struct MidBlock: Sendable {
        let first: ResNetBlock
        let attention: AttentionBlock
        let second: ResNetBlock

        init(_ weights: ModelWeights, channels: Int) throws(ModelLoadingError) {
            first = try ResNetBlock(weights, "mid.block_1", .autoencoder, inputs: channels, outputs: channels)
            attention = try AttentionBlock(weights, "mid.attn_1", channels: channels)
            second = try ResNetBlock(weights, "mid.block_2", .autoencoder, inputs: channels, outputs: channels)
        }

        func callAsFunction(_ x: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
            var h = try first(x, on: recorder)
            try recorder.submit()
            h = try attention(h, on: recorder)
            try recorder.submit()
            h = try second(h, on: recorder)
            try recorder.submit()
            return h
        }
    }
}

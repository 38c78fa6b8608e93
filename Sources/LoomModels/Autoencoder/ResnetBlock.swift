import LoomVulkan

extension Autoencoder {
    /// `x + conv2(silu(norm2(conv1(silu(norm1(x))))))`, the skip through a 1×1 `nin_shortcut` when the
    /// width changes.
    struct ResnetBlock: Sendable {
        let norm1: GroupNormalization
        let conv1: Convolution
        let norm2: GroupNormalization
        let conv2: Convolution
        let shortcut: Convolution?

        init(_ weights: ModelWeights, _ module: String, inputs: Int, outputs: Int) throws(ModelLoadingError) {
            let block = weights.scoped(module + ".")
            norm1 = try GroupNormalization(block, "norm1", channels: inputs)
            conv1 = try .same(block, "conv1", inputs: inputs, outputs: outputs)
            norm2 = try GroupNormalization(block, "norm2", channels: outputs)
            conv2 = try .same(block, "conv2", inputs: outputs, outputs: outputs)
            shortcut = inputs == outputs ? nil
                : try Convolution(block, "nin_shortcut", inputs: inputs, outputs: outputs, kernel: 1, Convolution2DParameters())
        }

        var outputChannels: Int { conv2.outputChannels }

        /// Submits halfway, so that the first half's temporaries are freed before the second
        /// half allocates its own: the block's peak memory drops by about a quarter.
        func callAsFunction(_ x: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
            var h = try conv1(recorder.silu(norm1(x, on: recorder)), on: recorder)
            try recorder.submit()
            h = try conv2(recorder.silu(norm2(h, on: recorder)), on: recorder)
            let skip = try shortcut?(x, on: recorder) ?? x
            return try recorder.add(skip, h)
        }
    }
}

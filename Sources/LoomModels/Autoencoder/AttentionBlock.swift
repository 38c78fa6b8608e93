import LoomVulkan

extension Autoencoder {
    /// The mid-block self-attention: one head over all pixels, the width as head size; q, k, v and
    /// proj_out are stored as 1×1 convolutions and run here as linears over pixel rows.
    struct AttentionBlock: Sendable {
        let norm: GroupNormalization
        let query: Linear
        let key: Linear
        let value: Linear
        let output: Linear

        init(_ weights: ModelWeights, _ module: String, channels: Int) throws(ModelLoadingError) {
            let block = weights.scoped(module + ".")
            norm = try GroupNormalization(block, "norm", channels: channels, epsilon: 1e-6)
            func projection(_ name: String) throws(ModelLoadingError) -> Linear {
                try Linear(pointwise: block, name, inputs: channels, outputs: channels)
            }
            query = try projection("q")
            key = try projection("k")
            value = try projection("v")
            output = try projection("proj_out")
        }

        func callAsFunction(_ x: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
            let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            // [B, C, H, W] → [B, H·W, C]: pixels become tokens.
            let tokens = try recorder.permute(norm(x, on: recorder), [0, 2, 3, 1]).reshaped([batch, height * width, channels])
            let attended = try recorder.attention(query: query(tokens, on: recorder), key: key(tokens, on: recorder),
                                                  value: value(tokens, on: recorder), heads: 1)
            let projected = try output(attended, on: recorder).reshaped([batch, height, width, channels])
            return try recorder.add(x, recorder.permute(projected, [0, 3, 1, 2]))
        }
    }
}

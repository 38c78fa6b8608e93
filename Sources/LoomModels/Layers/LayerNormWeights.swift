import LoomVulkan

/// A LayerNorm's affine parameters as f32 on the device.
struct LayerNormWeights: Sendable {
    let weight: Tensor
    let bias: Tensor

    init(_ weights: ModelWeights, _ module: String, width: Int) throws(ModelLoadingError) {
        weight = try weights.float32(module + ".weight", shape: [width])
        bias = try weights.float32(module + ".bias", shape: [width])
    }

    func callAsFunction(_ x: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        try recorder.layerNorm(x, weight: weight, bias: bias, epsilon: 1e-5)
    }
}

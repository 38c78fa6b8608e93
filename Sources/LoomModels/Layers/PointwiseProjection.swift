import LoomVulkan

extension Linear {
    /// A projection over channels stored as a linear [outputs, inputs] or as a 1×1 convolution
    /// [outputs, inputs, 1, 1] (the AE's attention, SD1.x's spatial transformers), run as a
    /// linear over pixel rows: the same products without the convolution's transposes.
    init(pointwise weights: ModelWeights, _ module: String, inputs: Int, outputs: Int) throws(ModelLoadingError) {
        if try weights.shape(of: module + ".weight").count == 2 {
            self = try weights.linear(module, inputs: inputs, outputs: outputs)
            return
        }
        let kernel = try weights.convolutionKernel(module + ".weight", shape: [outputs, inputs, 1, 1])
        let weight: Tensor
        do { weight = try kernel.reshaped([outputs, inputs]) } catch { throw .device(String(describing: error)) }
        self.init(weight: weight, weightScale: 1, bias: try weights.float32(module + ".bias", shape: [outputs]))
    }
}

import LoomVulkan

/// Halves the height and width with a stride-2 3×3 convolution.
struct Downsample: Sendable {
    enum Padding: Sendable {
        /// One zero on every side (the LDM UNet's `Downsample`): odd sizes round up.
        case symmetric
        /// One zero after the last row and column only, `F.pad(x, (0, 1, 0, 1))` (the autoencoders).
        case trailing
    }

    let convolution: Convolution

    init(_ weights: ModelWeights, _ module: String, channels: Int, padding: Padding) throws(ModelLoadingError) {
        var parameters = Convolution2DParameters(stride: 2, padding: padding == .symmetric ? 1 : 0)
        if padding == .trailing { parameters.trailingPadding = (1, 1) }
        convolution = try Convolution(weights, module, inputs: channels, outputs: channels, kernel: 3, parameters)
    }

    func callAsFunction(_ x: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        try convolution(x, on: recorder)
    }
}

/// Nearest-neighbour upsampling followed by a 3×3 convolution.
struct Upsample: Sendable {
    let convolution: Convolution

    /// Prepares the weight for `upsampledConv2d`, which takes every doubling; the 3×3 kernel's own copy is made only
    /// if a UNet asks for another size.
    init(_ weights: ModelWeights, _ module: String, channels: Int) throws(ModelLoadingError) {
        convolution = try .same(weights, module, inputs: channels, outputs: channels, preparing: false)
        do { try weights.context.prepareUpsampledConvolution(weight: convolution.weight) } catch { throw .device(String(describing: error)) }
    }

    /// Twice the size, or `size` when given: the UNet takes the size of the skip tensor it is
    /// joined with next, so an odd size halved and rounded up comes back as it was.
    func callAsFunction(_ x: Tensor, size: (height: Int, width: Int)? = nil, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        let size = size ?? (2 * x.shape[2], 2 * x.shape[3])
        if size == (2 * x.shape[2], 2 * x.shape[3]) {
            return try recorder.upsampledConv2d(x, weight: convolution.weight, bias: convolution.bias)
        }
        let layout = recorder.preferredInputLayout(forConvolutionWith: convolution.weight, convolution.parameters)
        return try convolution(recorder.resized(x, height: size.height, width: size.width, mode: .nearest, layout: layout), on: recorder)
    }
}

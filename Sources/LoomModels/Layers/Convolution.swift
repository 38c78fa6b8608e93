import LoomVulkan

/// A convolution with its kernel (as stored) and f32 bias (if it has one) on the device.
struct Convolution: Sendable {
    let weight: Tensor
    let bias: Tensor?
    let parameters: Convolution2DParameters

    /// `preparing` makes the device's copies of the weight that `conv2d` reads (the texel kernel's) while loading;
    /// without it they are made on first use.
    init(_ weights: ModelWeights, _ module: String, inputs: Int, outputs: Int, kernel: Int,
         _ parameters: Convolution2DParameters, hasBias: Bool = true, preparing: Bool = true) throws(ModelLoadingError) {
        weight = try weights.convolutionKernel(module + ".weight", shape: [outputs, inputs, kernel, kernel])
        bias = hasBias ? try weights.float32(module + ".bias", shape: [outputs]) : nil
        self.parameters = parameters
        guard preparing else { return }
        do { try weights.context.prepareConvolution(weight: weight, parameters) } catch { throw .device(String(describing: error)) }
    }

    /// A 3×3 convolution that keeps the size.
    static func same(_ weights: ModelWeights, _ module: String, inputs: Int, outputs: Int,
                     preparing: Bool = true) throws(ModelLoadingError) -> Convolution {
        try Convolution(weights, module, inputs: inputs, outputs: outputs, kernel: 3, Convolution2DParameters(padding: 1), preparing: preparing)
    }

    /// A 1×1 convolution.
    static func pointwise(_ weights: ModelWeights, _ module: String, inputs: Int, outputs: Int) throws(ModelLoadingError) -> Convolution {
        try Convolution(weights, module, inputs: inputs, outputs: outputs, kernel: 1, Convolution2DParameters())
    }

    var outputChannels: Int { weight.shape[0] }

    func callAsFunction(_ x: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        try recorder.conv2d(x, weight: weight, bias: bias, parameters)
    }
}

/// `GroupNorm(32, channels)` with its affine parameters. The epsilon differs by model: 1e-6 in
/// the autoencoders and the UNet's spatial transformers, PyTorch's default 1e-5 in the UNet's res blocks.
struct GroupNormalization: Sendable {
    static let groups = 32
    let weight: Tensor
    let bias: Tensor
    let epsilon: Float

    init(_ weights: ModelWeights, _ module: String, channels: Int, epsilon: Float) throws(ModelLoadingError) {
        guard channels % Self.groups == 0 else {
            throw .unsupported(file: weights.file.path, reason: "\(weights.prefix)\(module) normalises \(channels) channels, not a multiple of \(Self.groups) groups")
        }
        weight = try weights.float32(module + ".weight", shape: [channels])
        bias = try weights.float32(module + ".bias", shape: [channels])
        self.epsilon = epsilon
    }

    func callAsFunction(_ x: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        try recorder.groupNorm(x, groups: Self.groups, weight: weight, bias: bias, epsilon: epsilon)
    }

    /// `silu(norm(x))` in one pass, stored in the layout `convolution` reads fastest.
    func activated(_ x: Tensor, feeding convolution: Convolution, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        try recorder.groupNorm(x, groups: Self.groups, weight: weight, bias: bias, epsilon: epsilon, applyingSiLU: true,
                               layout: recorder.preferredInputLayout(forConvolutionWith: convolution.weight, convolution.parameters))
    }
}

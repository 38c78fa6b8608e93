/// 2-D convolution (conv2d.comp): an implicit GEMM over NCHW tensors, no im2col buffer.

/// Geometry of a 2-D convolution or pooling window, (y, x) pairs as in PyTorch.
public struct Convolution2DParameters: Sendable, Equatable {
    public var stride: (y: Int, x: Int)
    /// Zeros before the first row and column.
    public var padding: (y: Int, x: Int)
    /// Zeros after the last row and column; nil pads as `padding` (PyTorch's symmetric padding).
    /// The VAE's downsampling pads only after, as `F.pad(x, (0, 1, 0, 1))` does.
    public var trailingPadding: (y: Int, x: Int)?
    public var dilation: (y: Int, x: Int)
    public var groups: Int

    public init(stride: (y: Int, x: Int), padding: (y: Int, x: Int) = (0, 0), dilation: (y: Int, x: Int) = (1, 1), groups: Int = 1) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    /// Square windows: the same value along y and x.
    public init(stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        self.init(stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation), groups: groups)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.stride == rhs.stride && lhs.padding == rhs.padding && lhs.trailing == rhs.trailing && lhs.dilation == rhs.dilation
            && lhs.groups == rhs.groups
    }

    var trailing: (y: Int, x: Int) { trailingPadding ?? padding }

    /// Output length along one axis with different padding before and after.
    static func outputSize(_ input: Int, kernel: Int, stride: Int, padding: Int, trailing: Int, dilation: Int) -> Int {
        (input + padding + trailing - dilation * (kernel - 1) - 1) / stride + 1
    }

    /// Output length along one axis, PyTorch's floor formula.
    static func outputSize(_ input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
        outputSize(input, kernel: kernel, stride: stride, padding: padding, trailing: padding, dilation: dilation)
    }
}

extension CommandRecorder {
    /// PyTorch's `conv2d`: `x` is an f32 [N, Cin, H, W] view, `weight` a contiguous
    /// [Cout, Cin/groups, KH, KW] in f32, f16 or bf16 (read as stored), `bias` an f32 [Cout].
    /// The result is a contiguous [N, Cout, Hout, Wout].
    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                       _ parameters: Convolution2DParameters = .init()) throws(VulkanError) -> Tensor {
        try requireF32(x, "conv2d")
        guard x.rank == 4, weight.rank == 4 else { throw .invalidArgument("conv2d: need x [N, C, H, W] and weight [Cout, Cin/groups, KH, KW], got \(x.shape) and \(weight.shape)") }
        guard [.f32, .f16, .bf16].contains(weight.dtype), weight.isContiguous else {
            throw .invalidArgument("conv2d: weight must be contiguous f32, f16 or bf16, not \(weight.dtype) with strides \(weight.strides)")
        }
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (outChannels, kernelY, kernelX) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let p = parameters
        guard p.groups > 0, channels % p.groups == 0, outChannels % p.groups == 0, weight.shape[1] == channels / p.groups else {
            throw .invalidArgument("conv2d: weight \(weight.shape) does not fit \(channels) input channels in \(p.groups) groups")
        }
        guard [p.stride.y, p.stride.x, p.dilation.y, p.dilation.x].allSatisfy({ $0 > 0 }),
              [p.padding.y, p.padding.x, p.trailing.y, p.trailing.x].allSatisfy({ $0 >= 0 }) else {
            throw .invalidArgument("conv2d: stride and dilation must be positive and padding non-negative")
        }
        if let bias { try requireVector(bias, count: outChannels, "conv2d", "bias") }
        let outHeight = Convolution2DParameters.outputSize(height, kernel: kernelY, stride: p.stride.y, padding: p.padding.y,
                                                           trailing: p.trailing.y, dilation: p.dilation.y)
        let outWidth = Convolution2DParameters.outputSize(width, kernel: kernelX, stride: p.stride.x, padding: p.padding.x,
                                                          trailing: p.trailing.x, dilation: p.dilation.x)
        guard outHeight > 0, outWidth > 0 else { throw .invalidArgument("conv2d: a \(kernelY)×\(kernelX) window does not fit input \(x.shape)") }
        let pointwise = kernelY == 1 && kernelX == 1 && p.stride == (1, 1) && p.padding == (0, 0) && p.trailing == (0, 0)
        if pointwise && p.groups == 1 && context.matmulKernel == .texels && x.count > 0 {
            // On CPU devices the texel matmul runs several times faster than conv2d.comp, enough
            // to pay for transposing the activations to pixels × channels and back.
            let pixels = try permute(x, [0, 2, 3, 1]).reshaped([batch * height * width, channels])
            let product = try linear(pixels, weight: weight.reshaped([outChannels, channels]), bias: bias)
            return try permute(product.reshaped([batch, height * width, outChannels]), [0, 2, 1])
                .reshaped([batch, outChannels, height, width])
        }
        let output = try context.makeTensor(shape: [batch, outChannels, outHeight, outWidth])
        if output.count == 0 { return output }

        // Tiles of up to 16 output channels × 16 pixels per invocation: on llvmpipe (256-channel
        // 3×3 at 64², f16) 16×16 ran at 7.0 GFLOP/s against 2.4 for 16×4, 3.7 for 16×8, 5.9 for
        // 16×32 and 4.0 for 32×16. Channel tiles divide a group's channels.
        let outPerGroup = outChannels / p.groups
        let channelTile = [16, 8, 4, 2, 1].first { outPerGroup % $0 == 0 }!
        let pixelTile = min(outWidth, 16)
        var push = PushConstants()
        push.append(x.shape)
        push.append(x.strides)
        push.append([outChannels, outHeight, outWidth, p.groups, kernelY, kernelX, p.stride.x, p.stride.y,
                     p.padding.x, p.padding.y, p.dilation.x, p.dilation.y, x.offset, weight.offset, bias?.offset ?? 0, output.offset])
        let variant: ShaderVariant = switch weight.dtype {
        case .f16: .conv2dF16
        case .bf16: .conv2dBf16
        default: .conv2dF32
        }
        let constants: [UInt32] = [UInt32(channelTile), UInt32(pixelTile), bias == nil ? 0 : 1, pointwise ? 1 : 0]
        let pipeline = try context.pipelines.pipeline(variant, bindings: 2, texelBindings: 2, constants: constants)
        let tiles = outHeight * ((outWidth + pixelTile - 1) / pixelTile)
        let groups = ((tiles + Self.linearWorkgroupSize - 1) / Self.linearWorkgroupSize, outChannels / channelTile, batch)
        try dispatch(pipeline, buffers: [bias?.storage ?? x.storage, output.storage],
                     texels: [(x.storage, .r32Float), (weight.storage, weight.dtype == .f32 ? .r32Float : .r16Uint)],
                     written: [1], push: push, groups: groups)
        return output
    }
}

/// 2-D convolution (conv2d.comp): an implicit GEMM over NCHW tensors, no im2col buffer.
/// CPU devices run its texel kernel on a channels-last copy of the input where channels allow.
/// Contexts that run cooperative matrices use its cooperative-matrix kernel for ungrouped convolutions.

/// How an operator stores the activation it produces.
public enum ActivationLayout: Sendable {
    /// Contiguous in the tensor's own dimension order (NCHW for images).
    case contiguous
    /// Channels innermost (NHWC in memory), viewed with the usual [N, C, H, W] shape.
    case channelsLast
}

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

    /// A 1×1 kernel with stride 1 and no padding: a matmul over pixels.
    func isPointwise(kernel: (y: Int, x: Int)) -> Bool {
        kernel == (1, 1) && stride == (1, 1) && padding == (0, 0) && trailing == (0, 0)
    }

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
        try requireConvolutionWeight(weight, "conv2d")
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
        let pointwise = p.isPointwise(kernel: (kernelY, kernelX))
        let path = context.texelConvolutionPath(channels: channels, weight: weight, p)
        if path == .matmul && x.count > 0 {
            // On CPU devices the texel matmul runs several times faster than conv2d.comp, enough
            // to pay for transposing the activations to pixels × channels and back.
            let nhwc = try x.permuted([0, 2, 3, 1])
            let pixels = try (nhwc.isContiguous ? nhwc : permute(x, [0, 2, 3, 1])).reshaped([batch * height * width, channels])
            let product = try linear(pixels, weight: weight.reshaped([outChannels, channels]), bias: bias)
            return try permute(product.reshaped([batch, height * width, outChannels]), [0, 2, 1])
                .reshaped([batch, outChannels, height, width])
        }
        let output = try context.makeTensor(shape: [batch, outChannels, outHeight, outWidth])
        if output.count == 0 { return output }
        if path == .convolution || path == .paddedConvolution {
            let weights = try context.texelConvolutionWeights(weight)
            try texelConv2d(channelsLast(x, channels: weights.shape[3]), weights: weights, bias: bias, p, into: output)
        } else {
            try nchwConv2d(x, weight: weight, bias: bias, p, into: output, pointwise: pointwise)
        }
        return output
    }

    /// `conv2d(upsampled, weight, bias, padding 1)`, where `upsampled` is `x` with each pixel repeated 2 × 2 (nearest
    /// upsampling by 2, the `Upsample` of the autoencoders' decoders and the UNets) and `weight` a 3×3
    /// [Cout, Cin, 3, 3] kernel. Each output pixel's phase (its row and column parity) reads only 2 × 2 pixels of `x`,
    /// so this runs four 2×2 convolutions of `x`, one per phase, with the taps that read the same pixel summed
    /// (exactly, in f32) and each phase stored straight into its pixels of the result: 16 multiply-adds per input
    /// pixel and channel pair instead of 36, and the upsampled tensor, four times the input, never exists.
    public func upsampledConv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) throws(VulkanError) -> Tensor {
        try requireF32(x, "upsampledConv2d")
        guard x.rank == 4, weight.rank == 4, weight.shape[1] == x.shape[1], weight.shape[2] == 3, weight.shape[3] == 3 else {
            throw .invalidArgument("upsampledConv2d: need x [N, C, H, W] and a weight [Cout, C, 3, 3], got \(x.shape) and \(weight.shape)")
        }
        try requireConvolutionWeight(weight, "upsampledConv2d")
        let (batch, height, width, outChannels) = (x.shape[0], x.shape[2], x.shape[3], weight.shape[0])
        if let bias { try requireVector(bias, count: outChannels, "upsampledConv2d", "bias") }
        let output = try context.makeTensor(shape: [batch, outChannels, 2 * height, 2 * width])
        if output.count == 0 { return output }
        let texels = context.upsamplesInTexels(weight)
        let phases = try context.upsamplingPhaseWeights(weight, channelsLast: texels)
        let source = texels ? try channelsLast(x, channels: x.shape[1]) : x
        for phase in 0..<4 {
            let (dy, dx) = (phase / 2, phase % 2)
            // Even rows read the row above and their own, odd rows their own and the one below.
            var p = Convolution2DParameters(stride: (1, 1), padding: (1 - dy, 1 - dx))
            p.trailingPadding = (dy, dx)
            let pixels = Tensor(storage: output.storage, dtype: .f32, shape: [batch, outChannels, height, width],
                                strides: [output.strides[0], output.strides[1], 2 * output.strides[2], 2],
                                offset: output.offset + dy * output.strides[2] + dx)
            let weights = try phases.sliced(axis: 0, phase..<(phase + 1)).reshaped(Array(phases.shape.dropFirst()))
            if texels {
                try texelConv2d(source, weights: weights, bias: bias, p, into: pixels)
            } else {
                try nchwConv2d(source, weight: weights, bias: bias, p, into: pixels, pointwise: false)
            }
        }
        return output
    }

    /// conv2d.comp's NCHW kernels, cooperative-matrix where the context runs one, else portable, into `output`
    /// (a view of the result's size).
    private func nchwConv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, _ p: Convolution2DParameters, into output: Tensor,
                            pointwise: Bool) throws(VulkanError) {
        let (batch, outChannels, outHeight, outWidth) = (output.shape[0], output.shape[1], output.shape[2], output.shape[3])
        let (kernelY, kernelX) = (weight.shape[2], weight.shape[3])
        var push = PushConstants()
        push.append(x.shape)
        push.append(x.strides)
        push.append([outChannels, outHeight, outWidth, p.groups, kernelY, kernelX, p.stride.x, p.stride.y,
                     p.padding.x, p.padding.y, p.dilation.x, p.dilation.y, x.offset, weight.offset, bias?.offset ?? 0, output.offset])
        push.append(output.strides)
        let buffers = [bias?.storage ?? x.storage, output.storage]
        let texels: [(DeviceBuffer, TexelFormat)] = [(x.storage, .r32Float), (weight.storage, weight.dtype == .f32 ? .r32Float : .r16Uint)]
        // A variant the driver cannot build leaves this convolution, and later ones, to the portable kernels below.
        if let cooperative = cooperativeConvolution(weight: weight, p, pixels: batch * outHeight * outWidth),
           let pipeline = context.pipelines.optionalPipeline(cooperative.variant, bindings: 2, texelBindings: 2,
                                                             constants: ([0, 0, bias == nil ? 0 : 1, 0, 0] + cooperative.tiling.constants).map { UInt32($0) }) {
            try dispatch(pipeline, buffers: buffers, texels: texels, written: [1], push: push, groups: cooperative.groups)
            return
        }

        // Tiles of up to 16 output channels × 16 pixels per invocation: on llvmpipe (256-channel
        // 3×3 at 64², f16) 16×16 ran at 7.0 GFLOP/s against 2.4 for 16×4, 3.7 for 16×8, 5.9 for
        // 16×32 and 4.0 for 32×16. Channel tiles divide a group's channels.
        let outPerGroup = outChannels / p.groups
        let channelTile = [16, 8, 4, 2, 1].first { outPerGroup % $0 == 0 }!
        let pixelTile = min(outWidth, 16)
        let variant: ShaderVariant = switch weight.dtype {
        case .f16: .conv2dF16
        case .bf16: .conv2dBf16
        default: .conv2dF32
        }
        let constants: [UInt32] = [UInt32(channelTile), UInt32(pixelTile), bias == nil ? 0 : 1, pointwise ? 1 : 0]
        let pipeline = try context.pipelines.pipeline(variant, bindings: 2, texelBindings: 2, constants: constants)
        let tiles = outHeight * ((outWidth + pixelTile - 1) / pixelTile)
        let groups = ((tiles + Self.linearWorkgroupSize - 1) / Self.linearWorkgroupSize, outChannels / channelTile, batch)
        try dispatch(pipeline, buffers: buffers, texels: texels, written: [1], push: push, groups: groups)
    }

    /// conv2d.comp's cooperative-matrix kernel and its tiles, when the context runs cooperative
    /// kernels, the device and build have them, the convolution has one group and the pixel tiles
    /// fit the device's workgroup count; nil leaves the convolution to the other kernels.
    private func cooperativeConvolution(weight: Tensor, _ p: Convolution2DParameters, pixels: Int)
        -> (variant: ShaderVariant, tiling: CooperativeConvolutionTiling, groups: (x: Int, y: Int, z: Int))? {
        guard context.usesCooperativeMatrices, p.groups == 1, context.cooperativeConvolutionAvailable(for: weight.dtype),
              let tile = context.device.cooperativeMatrix.tileSize else { return nil }
        let tiling = CooperativeConvolutionTiling(tile: tile, subgroupSize: context.device.cooperativeMatrix.subgroupSize)
        let groups = ((pixels + tiling.extent - 1) / tiling.extent, (weight.shape[0] + tiling.extent - 1) / tiling.extent, 1)
        let limits = context.device.maxWorkgroupCount
        guard groups.0 <= limits.x, groups.1 <= limits.y else { return nil }
        return (ShaderVariant.conv2dCooperative(weight.dtype), tiling, groups)
    }

    /// The layout `conv2d` reads fastest as input for `weight` and `parameters`: channels-last
    /// where a CPU device runs a texel kernel on the channels as they are, which otherwise copies the input to that
    /// layout; contiguous for the cooperative-matrix kernel, whose neighbouring invocations gather
    /// neighbouring pixels of one channel, and where the texel kernel's copy pads the channels anyway.
    public func preferredInputLayout(forConvolutionWith weight: Tensor, _ parameters: Convolution2DParameters) -> ActivationLayout {
        switch context.texelConvolutionPath(for: weight, parameters) {
        case .none, .paddedConvolution: .contiguous
        case .matmul, .convolution: .channelsLast
        }
    }

    /// `x` as the texel kernel reads it: channels-last with texel-aligned strides, copied so unless it already is,
    /// with zeros past its own channels up to `channels` (a multiple of 8).
    private func channelsLast(_ x: Tensor, channels: Int) throws(VulkanError) -> Tensor {
        let own = x.shape[1]
        let aligned = x.strides[1] == 1 && [x.offset, x.strides[0], x.strides[2], x.strides[3]].allSatisfy { $0 % 4 == 0 }
        if channels == own { return aligned ? x : try permute(x, [0, 2, 3, 1]).permuted([0, 3, 1, 2]) }
        let padded = try context.makeTensor(shape: [x.shape[0], x.shape[2], x.shape[3], channels])
        try copy(x.permuted([0, 2, 3, 1]), into: padded.sliced(axis: 3, 0..<own))
        let rest = try padded.sliced(axis: 3, own..<channels)
        try copy(context.zeros(shape: rest.shape), into: rest)
        return try padded.permuted([0, 3, 1, 2])
    }

    /// conv2d.comp's TEXELS kernel into `output` (a view of the result's size): `source` channels-last
    /// (`channelsLast`) and `weights` as [Cout, KH, KW, Cin], f16 or f32 (`texelConvolutionWeights`).
    /// On llvmpipe (256-channel 3×3 at 64²) it runs several times faster than the NCHW kernel,
    /// which pays for both copies.
    private func texelConv2d(_ source: Tensor, weights: Tensor, bias: Tensor?, _ p: Convolution2DParameters,
                             into output: Tensor) throws(VulkanError) {
        let (batch, outChannels, outHeight, outWidth) = (output.shape[0], output.shape[1], output.shape[2], output.shape[3])
        let pixels = outHeight * outWidth
        // Every texel fetch costs a gather on llvmpipe, broadcast or not, so invocations take as
        // many pixels and channels as registers allow: 16 pixels by 32 channels (32 by fewer). Where subgroups
        // shuffle, all lanes take the same channels and share their weight fetches; elsewhere up to 8 lanes share
        // the pixels over channels. 256 channels at 64² ran at 63 GFLOP/s against 36 with 32 pixels by 4
        // channels in 8 lanes; the VAE's 32-channel layers 3× faster.
        let sharing = context.fetchSharingSubgroupSize
        let channelLanes = sharing != nil ? 1 : [8, 4, 2].first { 32 * $0 <= outChannels } ?? 1
        let channelsPerLane = outChannels <= 32 ? outChannels : [32, 16, 8, 4, 2].first { channelLanes * $0 <= outChannels } ?? 1
        let pixelsPerLane = [channelsPerLane > 16 ? 16 : 32, 8, 4].first { $0 <= pixels } ?? 1
        let pixelsPerGroup = pixelsPerLane * 64 / channelLanes, channelsPerGroup = channelLanes * channelsPerLane
        var push = PushConstants()
        push.append(source.shape)
        push.append(source.strides)
        push.append([outChannels, outHeight, outWidth, 1, weights.shape[1], weights.shape[2], p.stride.x, p.stride.y,
                     p.padding.x, p.padding.y, p.dilation.x, p.dilation.y, source.offset, weights.offset, bias?.offset ?? 0, output.offset])
        push.append(output.strides)
        // Constants 5 to 10 belong to the cooperative kernel; 11 is the subgroup size.
        let constants = ([pixelsPerLane, channelsPerLane, bias == nil ? 0 : 1, 0, channelLanes]
            + (sharing.map { [0, 0, 0, 0, 0, 0, $0] } ?? [])).map { UInt32($0) }
        let pipeline = try context.pipelines.pipeline(sharing == nil ? .conv2dTexels : .conv2dTexelsShared, bindings: 2, texelBindings: 2,
                                                      constants: constants)
        let items = batch * ((pixels + pixelsPerGroup - 1) / pixelsPerGroup)
        let rows = min(items, context.device.maxWorkgroupCount.y)
        let groups = ((outChannels + channelsPerGroup - 1) / channelsPerGroup, rows, (items + rows - 1) / rows)
        try dispatch(pipeline, buffers: [bias?.storage ?? source.storage, output.storage],
                     texels: [(source.storage, .rgba32Float), (weights.storage, weights.dtype == .f16 ? .rgba16Float : .rgba32Float)],
                     written: [1], push: push, groups: groups)
    }
}

/// Workgroup shape of conv2d.comp's cooperative-matrix kernel: 2 × 2 subgroups, each owning
/// 2 × 2 accumulators of `tile`² (64 pixels × 64 channels per workgroup with NVIDIA's 16, 32 × 32
/// with lavapipe's 8), so every matrix a subgroup loads from shared memory feeds two products.
struct CooperativeConvolutionTiling: Sendable {
    /// Subgroups along pixels and along channels, and accumulators per subgroup along each.
    static let subgroupsPerAxis = 2, accumulatorsPerAxis = 2
    let tile: Int
    let subgroupSize: Int

    /// Pixels, and output channels, per workgroup.
    var extent: Int { tile * Self.subgroupsPerAxis * Self.accumulatorsPerAxis }

    /// Specialization constants 5 to 10: workgroup size, CM, WM, WN, RM, RN.
    var constants: [Int] {
        [subgroupSize * Self.subgroupsPerAxis * Self.subgroupsPerAxis, tile,
         Self.subgroupsPerAxis, Self.subgroupsPerAxis, Self.accumulatorsPerAxis, Self.accumulatorsPerAxis]
    }
}

extension ShaderVariant {
    /// conv2d.comp's cooperative-matrix variant reading weights of `dtype` (f32, f16 or bf16).
    static func conv2dCooperative(_ dtype: DType) -> ShaderVariant {
        switch dtype {
        case .f16: .conv2dCoopmatF16
        case .bf16: .conv2dCoopmatBf16
        default: .conv2dCoopmatF32
        }
    }
}

extension VulkanContext {
    /// True when convolutions of one group with weights of `dtype` run conv2d.comp's
    /// cooperative-matrix kernel if asked to: the device has `VK_KHR_cooperative_matrix` with a
    /// 16×16×16 or 8×8×8 f16 → f32 shape, the weights are f32, f16 or bf16, and the build's
    /// glslang compiled the variant.
    public func cooperativeConvolutionAvailable(for dtype: DType) -> Bool {
        device.supportsCooperativeMatrixMatmul && [.f32, .f16, .bf16].contains(dtype) && ShaderVariant.conv2dCooperative(dtype).isAvailable
    }
}

/// `paddedConvolution` is the TEXELS kernel on input channels padded with zeros to a multiple of 8.
enum TexelConvolutionPath { case none, matmul, convolution, paddedConvolution }

extension VulkanContext {
    /// Makes now what `conv2d` would make on its first call with `weight` (the texel kernel's rearranged copy on CPU
    /// devices), so that loading a model accounts for it and a first pass holds only activations.
    public func prepareConvolution(weight: Tensor, _ parameters: Convolution2DParameters) throws(VulkanError) {
        let path = texelConvolutionPath(for: weight, parameters)
        guard path == .convolution || path == .paddedConvolution else { return }
        _ = try texelConvolutionWeights(weight)
    }

    /// `texelConvolutionPath` for any input `weight` fits; `.none` for a weight that is not [Cout, Cin/groups, KH, KW].
    func texelConvolutionPath(for weight: Tensor, _ parameters: Convolution2DParameters) -> TexelConvolutionPath {
        guard weight.rank == 4 else { return .none }
        return texelConvolutionPath(channels: weight.shape[1] * parameters.groups, weight: weight, parameters)
    }

    /// Which texel kernel, if any, runs a convolution on a CPU device: conv2d.comp's TEXELS kernel
    /// where input channels fill whole pairs of texels (for 1×1 kernels too: 33 against 11 GFLOP/s
    /// for the texel matmul between transposes at 256 channels, 64²), the texel matmul for other 1×1 kernels, and the
    /// TEXELS kernel on channels padded with zeros to a multiple of 8 for the rest (images and latents of 3 or 4
    /// channels going into a network).
    func texelConvolutionPath(channels: Int, weight: Tensor, _ p: Convolution2DParameters) -> TexelConvolutionPath {
        guard matmulKernel == .texels, p.groups == 1 else { return .none }
        if channels % 8 == 0 { return .convolution }
        return p.isPointwise(kernel: (weight.shape[2], weight.shape[3])) ? .matmul : .paddedConvolution
    }

    /// Whether `upsampledConv2d` runs the texel kernel for `weight`: where its channels need no padding.
    func upsamplesInTexels(_ weight: Tensor) -> Bool {
        texelConvolutionPath(for: weight, Convolution2DParameters(padding: 1)) == .convolution
    }

    /// `weight` as the texel kernel reads it, [Cout, KH, KW, Cin], made once per weight: f16 stays f16 (read through
    /// an f16 texel format, so the copy is no larger than the weight), anything else becomes f32. Input channels that
    /// are not a multiple of 8 are padded with zero weights to one, on the host (a small kernel, read back once).
    func texelConvolutionWeights(_ weight: Tensor) throws(VulkanError) -> Tensor {
        let (outChannels, channels, kernelY, kernelX) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        if channels % 8 != 0 {
            return try weight.storage.prepared(weight, for: "conv2d_texels_padded") { () throws(VulkanError) -> Tensor in
                let padded = (channels + 7) / 8 * 8, values = try download(weight)
                var rearranged = [Float](repeating: 0, count: outChannels * kernelY * kernelX * padded)
                for output in 0..<outChannels {
                    for input in 0..<channels {
                        for tap in 0..<(kernelY * kernelX) {
                            rearranged[(output * kernelY * kernelX + tap) * padded + input] = values[(output * channels + input) * kernelY * kernelX + tap]
                        }
                    }
                }
                return try upload(rearranged, shape: [outChannels, kernelY, kernelX, padded])
            }
        }
        return try preparedCopy(of: weight, for: "conv2d_texels") { (recorder) throws(VulkanError) -> Tensor in
            let dtype: DType = weight.dtype == .f16 && device.supports16BitStorage ? .f16 : .f32
            let prepared = try makeTensor(shape: [weight.shape[0], weight.shape[2], weight.shape[3], weight.shape[1]], dtype: dtype)
            let source = weight.dtype == dtype ? weight : try recorder.converted(weight, to: .f32)
            try recorder.copy(source.permuted([0, 2, 3, 1]), into: prepared)
            return prepared
        }
    }

    /// Makes now what `upsampledConv2d` would make on its first call with `weight`, so that loading a model accounts
    /// for it.
    public func prepareUpsampledConvolution(weight: Tensor) throws(VulkanError) {
        guard weight.rank == 4, weight.shape[2] == 3, weight.shape[3] == 3 else { return }
        _ = try upsamplingPhaseWeights(weight, channelsLast: upsamplesInTexels(weight))
    }

    /// The four 2×2 kernels `upsampledConv2d` runs for the 3×3 `weight`, f32, made once per weight: phase
    /// 2·dy + dx first, then [Cout, Cin, 2, 2], or [Cout, 2, 2, Cin] for the texel kernel (`channelsLast`).
    /// An even output row reads kernel row 0 from the input row above and rows 1 and 2 from its own; an odd one rows 0
    /// and 1 from its own and row 2 from the row below. Columns likewise. Summed on the host: a one-off sum per tap,
    /// for which the device's element-wise and copy kernels would each cost a pipeline to create in every process.
    func upsamplingPhaseWeights(_ weight: Tensor, channelsLast: Bool) throws(VulkanError) -> Tensor {
        try weight.storage.prepared(weight, for: channelsLast ? "conv2d_upsampled_texels" : "conv2d_upsampled") { () throws(VulkanError) -> Tensor in
            let (outChannels, channels) = (weight.shape[0], weight.shape[1])
            let kernel = try download(weight)
            // The kernel rows (or columns) that tap 0 and tap 1 of each phase along an axis sum.
            let merged = [[0..<1, 1..<3], [0..<2, 2..<3]]
            var phases = [Float](repeating: 0, count: 16 * outChannels * channels)
            for phase in 0..<4 {
                let (rows, columns) = (merged[phase / 2], merged[phase % 2])
                for output in 0..<outChannels {
                    for input in 0..<channels {
                        let source = (output * channels + input) * 9
                        for ty in 0..<2 {
                            for tx in 0..<2 {
                                var sum: Float = 0
                                for ky in rows[ty] {
                                    for kx in columns[tx] { sum += kernel[source + 3 * ky + kx] }
                                }
                                let tap = 2 * ty + tx, filter = phase * outChannels + output
                                phases[channelsLast ? (filter * 4 + tap) * channels + input : (filter * channels + input) * 4 + tap] = sum
                            }
                        }
                    }
                }
            }
            return try upload(phases, shape: channelsLast ? [4, outChannels, 2, 2, channels] : [4, outChannels, channels, 2, 2])
        }
    }

    /// `weight`'s copy for `purpose` (`DeviceBuffer.prepared`), recorded by `make` on a recorder of its own that is
    /// submitted at once, so later recorders get the copy ready.
    func preparedCopy(of weight: Tensor, for purpose: String,
                      _ make: (CommandRecorder) throws(VulkanError) -> Tensor) throws(VulkanError) -> Tensor {
        try weight.storage.prepared(weight, for: purpose) { () throws(VulkanError) -> Tensor in
            let recorder = try makeRecorder()
            let copy = try make(recorder)
            try recorder.submit()
            return copy
        }
    }
}

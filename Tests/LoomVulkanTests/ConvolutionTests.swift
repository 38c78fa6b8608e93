@testable import LoomVulkan
import XCTest

/// PyTorch's conv2d in Double over a contiguous NCHW host array.
func referenceConv2d(_ x: [Float], shape: [Int], weight: [Float], weightShape: [Int], bias: [Float]?,
                     _ p: Convolution2DParameters) -> (values: [Float], shape: [Int]) {
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let (oc, icg, kh, kw) = (weightShape[0], weightShape[1], weightShape[2], weightShape[3])
    let trailing = p.trailingPadding ?? p.padding
    let oh = (h + p.padding.y + trailing.y - p.dilation.y * (kh - 1) - 1) / p.stride.y + 1
    let ow = (w + p.padding.x + trailing.x - p.dilation.x * (kw - 1) - 1) / p.stride.x + 1
    let ocg = oc / p.groups
    var out = [Float](repeating: 0, count: n * oc * oh * ow)
    for b in 0..<n {
        for o in 0..<oc {
            let group = o / ocg
            for y in 0..<oh {
                for xx in 0..<ow {
                    var sum = Double(bias?[o] ?? 0)
                    for i in 0..<icg {
                        for ky in 0..<kh {
                            let iy = y * p.stride.y - p.padding.y + ky * p.dilation.y
                            guard iy >= 0, iy < h else { continue }
                            for kx in 0..<kw {
                                let ix = xx * p.stride.x - p.padding.x + kx * p.dilation.x
                                guard ix >= 0, ix < w else { continue }
                                let input = x[((b * c + group * icg + i) * h + iy) * w + ix]
                                sum += Double(input) * Double(weight[((o * icg + i) * kh + ky) * kw + kx])
                            }
                        }
                    }
                    out[((b * oc + o) * oh + y) * ow + xx] = Float(sum)
                }
            }
        }
    }
    return (out, [n, oc, oh, ow])
}

/// `x` ([N, C, H, W]) with every pixel repeated 2 × 2: nearest upsampling by 2.
func referenceUpsampled(_ x: [Float], shape: [Int]) -> (values: [Float], shape: [Int]) {
    let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
    var out = [Float](repeating: 0, count: planes * 4 * h * w)
    for plane in 0..<planes {
        for y in 0..<(2 * h) {
            for xx in 0..<(2 * w) { out[(plane * 2 * h + y) * 2 * w + xx] = x[(plane * h + y / 2) * w + xx / 2] }
        }
    }
    return (out, [shape[0], shape[1], 2 * h, 2 * w])
}

final class ConvolutionTests: XCTestCase {
    let context = sharedContext

    func check(input: [Int], weight weightShape: [Int], bias hasBias: Bool = true, dtype: DType = .f32,
               _ parameters: Convolution2DParameters, seed: UInt64, threshold: Double = 1e-7, in context: VulkanContext = sharedContext) throws {
        let x = randomValues(input.reduce(1, *), seed: seed)
        let weight = dtype.roundTrip(randomValues(weightShape.reduce(1, *), seed: seed + 1, in: -0.5...0.5))
        let bias = hasBias ? randomValues(weightShape[0], seed: seed + 2) : nil
        let (shape, result) = try evaluateWithShape(in: context) { recorder in
            try recorder.conv2d(context.upload(x, shape: input), weight: context.upload(weight, shape: weightShape, dtype: dtype),
                                bias: bias.map { try context.upload($0, shape: [weightShape[0]]) }, parameters)
        }
        let expected = referenceConv2d(x, shape: input, weight: weight, weightShape: weightShape, bias: bias, parameters)
        XCTAssertEqual(shape, expected.shape)
        assertClose(result, expected.values, threshold: threshold, "conv2d \(input) * \(weightShape) \(dtype) \(parameters)")
    }

    func test3x3PaddedOddSizes() throws {
        try check(input: [2, 5, 9, 11], weight: [12, 5, 3, 3], Convolution2DParameters(padding: 1), seed: 200)
    }

    func testStrideDilationAndRectangularKernel() throws {
        try check(input: [1, 3, 17, 14], weight: [8, 3, 3, 2],
                  Convolution2DParameters(stride: (2, 3), padding: (1, 2), dilation: (2, 1)), seed: 210)
    }

    func testGroupsWithoutBias() throws {
        try check(input: [1, 6, 10, 7], weight: [9, 2, 3, 3], bias: false, Convolution2DParameters(padding: 1, groups: 3), seed: 220)
    }

    func testPointwiseFastPaths() throws {
        // On CPU devices: the texel convolution kernel, and the texel matmul between transposes
        // when channels are not a multiple of 8.
        try check(input: [2, 8, 5, 6], weight: [10, 8, 1, 1], dtype: .bf16, Convolution2DParameters(), seed: 230)
        try check(input: [2, 6, 5, 4], weight: [10, 6, 1, 1], dtype: .bf16, Convolution2DParameters(), seed: 232)
        // Grouped: conv2d.comp's pointwise specialisation everywhere.
        try check(input: [2, 6, 5, 7], weight: [4, 3, 1, 1], Convolution2DParameters(groups: 2), seed: 235)
    }

    func testHalfPrecisionWeights() throws {
        try check(input: [1, 4, 8, 9], weight: [6, 4, 3, 3], dtype: .f16, Convolution2DParameters(padding: 1), seed: 240)
        try check(input: [1, 4, 8, 9], weight: [6, 4, 3, 3], dtype: .bf16, Convolution2DParameters(padding: 1), seed: 250)
    }

    func testNonContiguousInputView() throws {
        // Channels 2..<6 of an [1, 8, 7, 9] tensor, with height and width swapped by a transpose.
        let source = randomValues(8 * 7 * 9, seed: 260)
        let weight = randomValues(5 * 4 * 3 * 3, seed: 261, in: -0.5...0.5)
        let result = try evaluate { recorder in
            let view = try context.upload(source, shape: [1, 8, 7, 9]).sliced(axis: 1, 2..<6).transposed(2, 3)
            return try recorder.conv2d(view, weight: context.upload(weight, shape: [5, 4, 3, 3]), Convolution2DParameters(padding: 1))
        }
        let dense = gather(source, shape: [1, 4, 9, 7], strides: [504, 63, 1, 9], offset: 2 * 63)
        let expected = referenceConv2d(dense, shape: [1, 4, 9, 7], weight: weight, weightShape: [5, 4, 3, 3], bias: nil,
                                       Convolution2DParameters(padding: 1))
        assertClose(result, expected.values, threshold: 1e-7, "strided input")
    }

    /// The VAE's downsampling: `F.pad(x, (0, 1, 0, 1))` then a stride-2 3×3 convolution, on even
    /// and odd sizes (even sizes gain the row and column that only the trailing zeros reach).
    func testTrailingPaddingOnly() throws {
        var parameters = Convolution2DParameters(stride: 2)
        parameters.trailingPadding = (1, 1)
        try check(input: [2, 3, 8, 9], weight: [4, 3, 3, 3], dtype: .bf16, parameters, seed: 260)
        try check(input: [1, 5, 7, 6], weight: [3, 5, 3, 3], parameters, seed: 270)
    }

    /// Cases for the texel kernel that CPU devices run when input channels are a multiple of 8 and
    /// there are at least 32 output channels: partial channel and pixel tiles, padding on every
    /// edge, strides, dilation, trailing-only padding, batches and 16-bit weights.
    func testTexelKernelTable() throws {
        var trailingOnly = Convolution2DParameters(stride: 2)
        trailingOnly.trailingPadding = (1, 1)
        let cases: [(input: [Int], weight: [Int], dtype: DType, parameters: Convolution2DParameters, bias: Bool)] = [
            ([1, 8, 9, 11], [32, 8, 3, 3], .f32, Convolution2DParameters(padding: 1), true),
            ([2, 16, 7, 5], [40, 16, 3, 3], .f16, Convolution2DParameters(padding: 1), false),
            ([1, 24, 13, 10], [72, 24, 3, 3], .bf16, Convolution2DParameters(padding: 1), true),
            ([1, 8, 12, 9], [33, 8, 3, 3], .f32, trailingOnly, true),
            ([1, 16, 11, 14], [64, 16, 3, 2], .f32, Convolution2DParameters(stride: (2, 1), padding: (1, 0), dilation: (1, 2)), true),
            ([1, 8, 3, 2], [130, 8, 3, 3], .bf16, Convolution2DParameters(padding: 2), true),
            ([1, 32, 40, 41], [48, 32, 3, 3], .f16, Convolution2DParameters(padding: 1), true),
            ([1, 8, 6, 6], [32, 8, 5, 5], .f32, Convolution2DParameters(padding: 2), true),
            // 460 pixels: the last busy subgroup of lanes has idle lanes, and later ones none busy.
            ([1, 16, 20, 23], [3, 16, 3, 3], .bf16, Convolution2DParameters(padding: 1), true),
            ([1, 16, 20, 23], [96, 16, 1, 1], .f32, Convolution2DParameters(), false),
        ]
        // Where subgroups shuffle, lanes share their weight fetches; the kernel without sharing runs elsewhere.
        let unshared = try VulkanContext(sharingFetches: false)
        for (index, testCase) in cases.enumerated() {
            for context in [sharedContext, unshared] {
                try check(input: testCase.input, weight: testCase.weight, bias: testCase.bias, dtype: testCase.dtype, testCase.parameters,
                          seed: 300 + UInt64(index) * 10, threshold: 1e-7, in: context)
            }
        }
    }

    /// Inputs whose channels are not a multiple of 8 (images, latents) run the texel kernel on CPU devices with the
    /// channels padded with zeros, and the GPU-style contexts' NCHW kernel as they are: both against the reference,
    /// with odd sizes, strides, trailing padding, 16-bit weights and a transposed input view.
    func testChannelsThatAreNotAMultipleOf8() throws {
        var trailingOnly = Convolution2DParameters(stride: 2)
        trailingOnly.trailingPadding = (1, 1)
        let cases: [(input: [Int], weight: [Int], dtype: DType, parameters: Convolution2DParameters)] = [
            ([2, 3, 9, 11], [32, 3, 3, 3], .bf16, Convolution2DParameters(padding: 1)),
            ([1, 4, 7, 6], [5, 4, 3, 3], .f16, Convolution2DParameters(padding: 1)),
            ([1, 12, 8, 9], [40, 12, 3, 3], .f32, trailingOnly),
            ([1, 3, 13, 10], [2, 3, 5, 5], .f32, Convolution2DParameters(stride: 2, padding: 2)),
        ]
        let portable = try VulkanContext(matmulKernel: .tiled)
        for context in [sharedContext, portable] {
            for (index, testCase) in cases.enumerated() {
                try check(input: testCase.input, weight: testCase.weight, dtype: testCase.dtype, testCase.parameters,
                          seed: 900 + UInt64(index) * 10, in: context)
            }
            let recorder = try context.makeRecorder(profiling: true)
            let source = randomValues(3 * 6 * 5, seed: 950), weight = randomValues(8 * 3 * 9, seed: 951, in: -0.5...0.5)
            let view = try context.upload(source, shape: [1, 3, 6, 5]).transposed(2, 3)
            let output = try recorder.conv2d(view, weight: context.upload(weight, shape: [8, 3, 3, 3]), Convolution2DParameters(padding: 1))
            try recorder.submit()
            let expected = referenceConv2d(gather(source, shape: [1, 3, 5, 6], strides: [90, 30, 1, 5], offset: 0), shape: [1, 3, 5, 6],
                                           weight: weight, weightShape: [8, 3, 3, 3], bias: nil, Convolution2DParameters(padding: 1))
            assertClose(try context.download(output), expected.values, threshold: 1e-7, "transposed view")
            let kernels = recorder.timings.map(\.name).filter { $0.hasPrefix("conv2d") }
            XCTAssertEqual(kernels.allSatisfy { $0.hasPrefix("conv2d_texels") }, context.matmulKernel == .texels, "\(kernels)")
        }
    }

    /// Which texel kernel ran: the one whose lanes share weight fetches where the device's subgroups shuffle.
    func testTexelKernelSharesFetchesWhereSubgroupsShuffle() throws {
        guard sharedContext.matmulKernel == .texels else { throw XCTSkip("the texel kernels run on CPU devices") }
        func variants(_ context: VulkanContext) throws -> [String] {
            let recorder = try context.makeRecorder(profiling: true)
            _ = try recorder.conv2d(context.upload(randomValues(8 * 64, seed: 1), shape: [1, 8, 8, 8]),
                                    weight: context.upload(randomValues(32 * 8 * 9, seed: 2), shape: [32, 8, 3, 3]),
                                    Convolution2DParameters(padding: 1))
            try recorder.submit()
            return recorder.timings.map(\.name)
        }
        let sharing = sharedContext.device.subgroups.sharingSize != nil
        XCTAssertEqual(try variants(sharedContext).filter { $0.hasPrefix("conv2d") }, [sharing ? "conv2d_texels_shared" : "conv2d_texels"])
        XCTAssertEqual(try variants(VulkanContext(sharingFetches: false)).filter { $0.hasPrefix("conv2d") }, ["conv2d_texels"])
    }

    /// The texel kernel's rearranged weights are made once per weight view and reused by later recorders: two halves
    /// of one buffer each get their own, and a repeated call adds none.
    func testTexelWeightsArePreparedOncePerView() throws {
        let input = [1, 8, 9, 11], parameters = Convolution2DParameters(padding: 1)
        let x = randomValues(input.reduce(1, *), seed: 400)
        let values = DType.f16.roundTrip(randomValues(64 * 8 * 9, seed: 401, in: -0.5...0.5))
        let both = try context.upload(values, shape: [64, 8, 3, 3], dtype: .f16)
        for _ in 0..<2 {
            for half in 0..<2 {
                let result = try evaluate { recorder in
                    try recorder.conv2d(context.upload(x, shape: input), weight: both.sliced(axis: 0, half * 32..<(half + 1) * 32), parameters)
                }
                let expected = referenceConv2d(x, shape: input, weight: Array(values[(half * 32 * 72)..<((half + 1) * 32 * 72)]),
                                               weightShape: [32, 8, 3, 3], bias: nil, parameters)
                assertClose(result, expected.values, threshold: 1e-7, "half \(half)")
            }
        }
        XCTAssertEqual(both.storage.preparedCount, context.matmulKernel == .texels ? 2 : 0)
    }

    /// A channels-last input (an NHWC tensor viewed as NCHW) is read in place by the texel kernel;
    /// one with a channel offset that is not texel-aligned is copied first.
    func testChannelsLastInputViews() throws {
        let source = randomValues(2 * 6 * 7 * 20, seed: 400)
        let weight = randomValues(32 * 16 * 3 * 3, seed: 401, in: -0.5...0.5)
        for start in [0, 3] {
            let result = try evaluate { recorder in
                let nhwc = try context.upload(source, shape: [2, 6, 7, 20])
                let view = try nhwc.sliced(axis: 3, start..<(start + 16)).permuted([0, 3, 1, 2])
                return try recorder.conv2d(view, weight: context.upload(weight, shape: [32, 16, 3, 3]), Convolution2DParameters(padding: 1))
            }
            let dense = gather(source, shape: [2, 16, 6, 7], strides: [840, 1, 140, 20], offset: start)
            let expected = referenceConv2d(dense, shape: [2, 16, 6, 7], weight: weight, weightShape: [32, 16, 3, 3], bias: nil,
                                           Convolution2DParameters(padding: 1))
            assertClose(result, expected.values, threshold: 1e-7, "channels-last view from channel \(start)")
        }
    }

    /// `upsampledConv2d` against upsampling by 2 and then a padded 3×3 convolution: the texel kernel (input channels
    /// a multiple of 8, with and without shared fetches) and the NCHW kernel (others), batches, odd and 1-pixel sizes,
    /// 16-bit weights, with and without bias; every output pixel belongs to one of the four phases.
    func testUpsampledConvolutionTable() throws {
        let cases: [(input: [Int], outChannels: Int, dtype: DType, bias: Bool)] = [
            ([1, 8, 5, 7], 32, .f32, true),
            ([2, 16, 3, 4], 40, .bf16, false),
            ([1, 8, 1, 1], 3, .f16, true),
            ([1, 32, 9, 8], 64, .f16, true),
            ([1, 5, 4, 6], 7, .f32, true),
            ([2, 3, 3, 2], 4, .bf16, false),
        ]
        let unshared = try VulkanContext(sharingFetches: false)
        for (index, testCase) in cases.enumerated() {
            let seed = 700 + UInt64(index) * 10
            let weightShape = [testCase.outChannels, testCase.input[1], 3, 3]
            let x = randomValues(testCase.input.reduce(1, *), seed: seed)
            let weight = testCase.dtype.roundTrip(randomValues(weightShape.reduce(1, *), seed: seed + 1, in: -0.5...0.5))
            let bias = testCase.bias ? randomValues(testCase.outChannels, seed: seed + 2) : nil
            let upsampled = referenceUpsampled(x, shape: testCase.input)
            let expected = referenceConv2d(upsampled.values, shape: upsampled.shape, weight: weight, weightShape: weightShape, bias: bias,
                                           Convolution2DParameters(padding: 1))
            for context in [sharedContext, unshared] {
                let (shape, result) = try evaluateWithShape(in: context) { recorder in
                    try recorder.upsampledConv2d(context.upload(x, shape: testCase.input),
                                                 weight: context.upload(weight, shape: weightShape, dtype: testCase.dtype),
                                                 bias: bias.map { try context.upload($0, shape: [testCase.outChannels]) })
                }
                XCTAssertEqual(shape, expected.shape)
                assertClose(result, expected.values, threshold: 1e-7, "upsampled conv2d \(testCase.input) * \(weightShape) \(testCase.dtype)")
            }
        }
    }

    /// A strided input view is read in place or copied once, and the phase kernels are made once per weight: four
    /// convolution dispatches per call and no upsampled tensor.
    func testUpsampledConvolutionOfAViewPreparesItsWeightsOnce() throws {
        let source = randomValues(16 * 6 * 5, seed: 800)
        let weight = randomValues(32 * 8 * 9, seed: 801, in: -0.5...0.5)
        let weights = try context.upload(weight, shape: [32, 8, 3, 3])
        let dense = gather(source, shape: [1, 8, 5, 6], strides: [480, 30, 1, 5], offset: 4 * 30)
        let upsampled = referenceUpsampled(dense, shape: [1, 8, 5, 6])
        let expected = referenceConv2d(upsampled.values, shape: upsampled.shape, weight: weight, weightShape: [32, 8, 3, 3], bias: nil,
                                       Convolution2DParameters(padding: 1))
        for _ in 0..<2 {
            let recorder = try context.makeRecorder(profiling: true)
            let view = try context.upload(source, shape: [1, 16, 6, 5]).sliced(axis: 1, 4..<12).transposed(2, 3)
            let output = try recorder.upsampledConv2d(view, weight: weights)
            try recorder.submit()
            assertClose(try context.download(output), expected.values, threshold: 1e-7, "transposed slice")
            let names = recorder.timings.map(\.name)
            XCTAssertEqual(names.filter { $0.hasPrefix("conv2d") }.count, 4, "\(names)")
            XCTAssertFalse(names.contains { $0.hasPrefix("resize") }, "\(names)")
        }
        XCTAssertEqual(weights.storage.preparedCount, 1)
    }

    func testUpsampledConvolutionRejectsOtherKernels() throws {
        let recorder = try context.makeRecorder()
        XCTAssertThrowsError(try recorder.upsampledConv2d(context.makeTensor(shape: [1, 4, 3, 3]), weight: context.makeTensor(shape: [8, 4, 5, 5]))) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(message.contains("[8, 4, 5, 5]"), message)
        }
    }

    func testMismatchedGroupsAreRejected() throws {
        let recorder = try context.makeRecorder()
        let x = try context.makeTensor(shape: [1, 6, 4, 4])
        let weight = try context.makeTensor(shape: [4, 4, 3, 3])
        XCTAssertThrowsError(try recorder.conv2d(x, weight: weight, Convolution2DParameters(groups: 2))) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(message.contains("groups"), message)
        }
    }
}

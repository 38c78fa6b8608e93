import LoomVulkan
import XCTest

/// conv2d.comp's `VK_KHR_cooperative_matrix` kernel against the CPU reference in ConvolutionTests,
/// on shapes that leave partial pixel, channel and K tiles. Skipped on devices without the
/// extension (the machine's Mesa 22); run them under a newer lavapipe with `../shared/tools/mesa-next`.
final class CooperativeConvolutionTests: XCTestCase {
    func cooperativeContext(for dtype: DType) throws -> VulkanContext {
        try LoomVulkanTests.cooperativeContext(for: "conv2d_coopmat_\(dtype)") { $0.cooperativeConvolutionAvailable(for: dtype) }
    }

    struct Case {
        let input: [Int]
        let weight: [Int]
        let dtype: DType
        let parameters: Convolution2DParameters
        let bias: Bool
    }

    static var cases: [Case] {
        var trailingOnly = Convolution2DParameters(stride: 2)
        trailingOnly.trailingPadding = (1, 1)
        return [
            Case(input: [1, 5, 9, 11], weight: [12, 5, 3, 3], dtype: .f32, parameters: .init(padding: 1), bias: true),
            Case(input: [2, 3, 13, 11], weight: [20, 3, 3, 3], dtype: .f16, parameters: .init(padding: 1), bias: false),
            Case(input: [1, 19, 13, 11], weight: [37, 19, 1, 1], dtype: .bf16, parameters: .init(), bias: true),
            Case(input: [2, 6, 13, 11], weight: [9, 6, 3, 3], dtype: .bf16, parameters: .init(stride: 2, padding: 1), bias: true),
            Case(input: [1, 8, 12, 9], weight: [33, 8, 3, 3], dtype: .f32, parameters: trailingOnly, bias: true),
            Case(input: [1, 7, 11, 14], weight: [10, 7, 3, 2], dtype: .f16,
                 parameters: .init(stride: (2, 1), padding: (1, 0), dilation: (1, 2)), bias: false),
            Case(input: [1, 40, 20, 18], weight: [70, 40, 3, 3], dtype: .f16, parameters: .init(padding: 1), bias: true),
            Case(input: [1, 4, 6, 7], weight: [8, 4, 5, 5], dtype: .f32, parameters: .init(padding: 2), bias: false),
            // Whole tiles of pixels and channels with either tile size.
            Case(input: [2, 16, 8, 8], weight: [64, 16, 3, 3], dtype: .bf16, parameters: .init(padding: 1), bias: true),
        ]
    }

    /// Runs `body`'s convolution between two guard tensors allocated around its output and checks
    /// them afterwards: edge tiles must not write past the output.
    func evaluateGuarded(_ context: VulkanContext, _ label: String,
                         _ body: (CommandRecorder) throws -> Tensor) throws -> (shape: [Int], values: [Float]) {
        let sentinels = [Float](repeating: -12345, count: 64)
        let recorder = try context.makeRecorder()
        let before = try context.upload(sentinels, shape: [64])
        let output = try body(recorder)
        let after = try context.upload(sentinels, shape: [64])
        try recorder.submit()
        XCTAssertEqual(try context.download(before), sentinels, "\(label): guard before the output")
        XCTAssertEqual(try context.download(after), sentinels, "\(label): guard after the output")
        return (output.shape, try context.download(output))
    }

    /// The kernel multiplies f16 copies of input and weights exactly and accumulates in f32, so it
    /// matches the reference on f16-rounded operands closely (the f32 kernels miss it by ~1e-7),
    /// and the exact convolution within vulkan.md's reduced-precision budget. Returns both NMSEs.
    @discardableResult
    func assertMatches(_ result: (shape: [Int], values: [Float]), input x: [Float], shape: [Int], weight: [Float], weightShape: [Int],
                       dtype: DType, bias: [Float]?, _ parameters: Convolution2DParameters, _ label: String) -> (rounded: Double, exact: Double) {
        let rounded = referenceConv2d(DType.f16.roundTrip(x), shape: shape, weight: DType.f16.roundTrip(dtype.roundTrip(weight)),
                                      weightShape: weightShape, bias: bias, parameters)
        let exact = referenceConv2d(x, shape: shape, weight: dtype.roundTrip(weight), weightShape: weightShape, bias: bias, parameters)
        XCTAssertEqual(result.shape, exact.shape, label)
        assertClose(result.values, rounded.values, threshold: 1e-10, "\(label) against f16 operands")
        assertClose(result.values, exact.values, threshold: 5e-4, "\(label) against the exact convolution")
        return (nmse(rounded.values, result.values), nmse(exact.values, result.values))
    }

    func testCaseTableAgainstReference() throws {
        var worst = (rounded: 0.0, exact: 0.0)
        for (index, testCase) in Self.cases.enumerated() {
            let context = try cooperativeContext(for: testCase.dtype)
            let label = "conv2d \(testCase.input) * \(testCase.weight) \(testCase.dtype) \(testCase.parameters) bias \(testCase.bias)"
            let seed = 500 + UInt64(index) * 10
            let x = randomValues(testCase.input.reduce(1, *), seed: seed)
            let weight = randomValues(testCase.weight.reduce(1, *), seed: seed + 1, in: -0.5...0.5)
            let bias = testCase.bias ? randomValues(testCase.weight[0], seed: seed + 2) : nil
            let result = try evaluateGuarded(context, label) { recorder in
                try recorder.conv2d(context.upload(x, shape: testCase.input),
                                    weight: context.upload(weight, shape: testCase.weight, dtype: testCase.dtype),
                                    bias: bias.map { try context.upload($0, shape: [testCase.weight[0]]) }, testCase.parameters)
            }
            let errors = assertMatches(result, input: x, shape: testCase.input, weight: weight, weightShape: testCase.weight,
                                       dtype: testCase.dtype, bias: bias, testCase.parameters, label)
            worst = (max(worst.rounded, errors.rounded), max(worst.exact, errors.exact))
        }
        print("cooperative conv2d, \(Self.cases.count) cases: worst NMSE \(worst.rounded) against f16 operands, \(worst.exact) against the exact convolution")
    }

    /// Strided views are gathered in place: channels 2..<6 with height and width transposed, and
    /// channels-last views from an offset channel.
    func testNonContiguousInputViews() throws {
        let context = try cooperativeContext(for: .f16)
        let parameters = Convolution2DParameters(padding: 1)
        let transposedSource = randomValues(8 * 7 * 9, seed: 600)
        let transposedWeight = randomValues(11 * 4 * 3 * 3, seed: 601, in: -0.5...0.5)
        let transposed = try evaluateGuarded(context, "transposed slice") { recorder in
            let view = try context.upload(transposedSource, shape: [1, 8, 7, 9]).sliced(axis: 1, 2..<6).transposed(2, 3)
            return try recorder.conv2d(view, weight: context.upload(transposedWeight, shape: [11, 4, 3, 3], dtype: .f16), parameters)
        }
        assertMatches(transposed, input: gather(transposedSource, shape: [1, 4, 9, 7], strides: [504, 63, 1, 9], offset: 2 * 63),
                      shape: [1, 4, 9, 7], weight: transposedWeight, weightShape: [11, 4, 3, 3], dtype: .f16, bias: nil, parameters,
                      "transposed slice")

        let nhwcSource = randomValues(2 * 6 * 7 * 20, seed: 610)
        let nhwcWeight = randomValues(18 * 13 * 3 * 3, seed: 611, in: -0.5...0.5)
        for start in [0, 3] {
            let label = "channels-last view from channel \(start)"
            let result = try evaluateGuarded(context, label) { recorder in
                let view = try context.upload(nhwcSource, shape: [2, 6, 7, 20]).sliced(axis: 3, start..<(start + 13)).permuted([0, 3, 1, 2])
                return try recorder.conv2d(view, weight: context.upload(nhwcWeight, shape: [18, 13, 3, 3], dtype: .f16), parameters)
            }
            assertMatches(result, input: gather(nhwcSource, shape: [2, 13, 6, 7], strides: [840, 1, 140, 20], offset: start),
                          shape: [2, 13, 6, 7], weight: nhwcWeight, weightShape: [18, 13, 3, 3], dtype: .f16, bias: nil, parameters, label)
        }
    }

    /// `upsampledConv2d`'s four phase convolutions on the cooperative kernel, each storing into every other pixel of
    /// the output, within the reduced-precision budget of upsampling and then convolving exactly.
    func testUpsampledConvolution() throws {
        for (index, (input, outChannels, dtype)) in [([1, 8, 5, 7], 20, DType.bf16), ([2, 19, 4, 3], 37, .f16)].enumerated() {
            let context = try cooperativeContext(for: .f32)
            let weightShape = [outChannels, input[1], 3, 3]
            let seed = 650 + UInt64(index) * 10
            let x = randomValues(input.reduce(1, *), seed: seed)
            let weight = dtype.roundTrip(randomValues(weightShape.reduce(1, *), seed: seed + 1, in: -0.5...0.5))
            let bias = randomValues(outChannels, seed: seed + 2)
            let label = "upsampled conv2d \(input) * \(weightShape) \(dtype)"
            let result = try evaluateGuarded(context, label) { recorder in
                try recorder.upsampledConv2d(context.upload(x, shape: input), weight: context.upload(weight, shape: weightShape, dtype: dtype),
                                             bias: context.upload(bias, shape: [outChannels]))
            }
            let upsampled = referenceUpsampled(x, shape: input)
            let exact = referenceConv2d(upsampled.values, shape: upsampled.shape, weight: weight, weightShape: weightShape, bias: bias,
                                        Convolution2DParameters(padding: 1))
            XCTAssertEqual(result.shape, exact.shape, label)
            assertClose(result.values, exact.values, threshold: 5e-4, label)
            print("\(label): NMSE \(nmse(exact.values, result.values)) against the exact convolution")
        }
    }

    /// Grouped convolutions keep the f32 kernel, exact to f32 rounding, in a cooperative context.
    func testGroupedConvolutionKeepsTheFloatKernel() throws {
        let context = try cooperativeContext(for: .f32)
        let parameters = Convolution2DParameters(padding: 1, groups: 3)
        let x = randomValues(6 * 10 * 7, seed: 620), weight = randomValues(9 * 2 * 3 * 3, seed: 621, in: -0.5...0.5)
        let result = try evaluateGuarded(context, "groups 3") { recorder in
            try recorder.conv2d(context.upload(x, shape: [1, 6, 10, 7]), weight: context.upload(weight, shape: [9, 2, 3, 3]), parameters)
        }
        let expected = referenceConv2d(x, shape: [1, 6, 10, 7], weight: weight, weightShape: [9, 2, 3, 3], bias: nil, parameters)
        assertClose(result.values, expected.values, threshold: 1e-7, "groups 3")
    }

    /// Inputs past f16's range (a VAE's residual stream can reach them) saturate at ±65504 instead
    /// of turning into infinities.
    func testValuesBeyondHalfRangeSaturate() throws {
        let context = try cooperativeContext(for: .f32)
        let x: [Float] = [1e5, -3e5, 70000, 2, -65504, 0.5]
        let result = try evaluateGuarded(context, "beyond f16 range") { recorder in
            try recorder.conv2d(context.upload(x, shape: [1, 1, 2, 3]), weight: context.upload([0.25], shape: [1, 1, 1, 1]))
        }
        XCTAssertEqual(result.values, [16376, -16376, 16376, 0.5, -16376, 0.125])
    }

    func testPreferredInputLayoutIsContiguous() throws {
        let context = try cooperativeContext(for: .f16)
        let recorder = try context.makeRecorder()
        let weight = try context.makeTensor(shape: [32, 16, 3, 3], dtype: .f16)
        XCTAssertEqual(recorder.preferredInputLayout(forConvolutionWith: weight, Convolution2DParameters(padding: 1)), .contiguous)
    }
}

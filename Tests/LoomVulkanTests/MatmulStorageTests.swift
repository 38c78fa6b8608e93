import Foundation
import LoomVulkan
import XCTest

/// 16-bit activation storage in every matmul kernel: activations read and products written as f16
/// or bf16, against a Double reference on the same rounded inputs whose result is rounded the same
/// way. Includes a K that the cooperative kernel splits (the store then happens in
/// matmul_split_sum), an odd K that rules out the texel kernel, and rows that do not merge.
final class MatmulStorageTests: XCTestCase {
    static let storages: [DType] = [.f32, .f16, .bf16]

    func testSixteenBitActivationsInEveryKernel() throws {
        guard sharedContext.supports16BitActivations else { throw XCTSkip("this device has no 16-bit storage buffers") }
        for (name, result) in MatmulEpilogueTests.contexts {
            let context = try result.get()
            for k in [24, 21, 520] {
                for weightType in [DType.f32, .bf16] where k % 2 == 0 || weightType == .f32 {
                    for input in Self.storages {
                        for output in Self.storages where input != .f32 || output != .f32 {
                            try check(context, "\(name), K \(k), \(weightType) weights, \(input) → \(output)",
                                      inner: k, weightType: weightType, input: input, output: output)
                        }
                    }
                }
            }
        }
    }

    func check(_ context: VulkanContext, _ label: String, inner k: Int, weightType: DType, input: DType, output: DType) throws {
        let (n, batch, tokens) = (19, 2, 5)
        // The activations are rows 1..<6 of [2, 7, K]; values reach ±3 so bf16 and f16 round differently.
        let storage = input.decode(input.encode(randomValues(batch * 7 * k, seed: 91, in: -3...3)))
        let weight = weightType.decode(weightType.encode(randomValues(n * k, seed: 92, in: -0.5...0.5)))
        let bias = randomValues(n, seed: 93)
        let residualValues = randomValues(batch * tokens * n, seed: 94)
        let dense = gather(storage, shape: [batch, tokens, k], strides: [7 * k, k, 1], offset: k)

        let recorder = try context.makeRecorder()
        let x = try context.upload(storage, shape: [batch, 7, k], dtype: input).sliced(axis: 1, 1..<6)
        // GELU from column 3, then a residual: the epilogue runs before the 16-bit store.
        let epilogue = MatmulEpilogue(activation: .geluTanh, activationStartColumn: 3,
                                      residual: try context.upload(residualValues, shape: [batch, tokens, n]))
        let product = try recorder.linear(x, weight: context.upload(weight, shape: [n, k], dtype: weightType),
                                          bias: context.upload(bias, shape: [n]), epilogue: epilogue, outputDType: output)
        try recorder.submit()
        XCTAssertEqual(product.dtype, output, label)
        XCTAssertEqual(product.shape, [batch, tokens, n], label)
        let values = try context.download(product)

        var expected = [Float](repeating: 0, count: batch * tokens * n)
        for row in 0..<(batch * tokens) {
            for column in 0..<n {
                var v = Double(bias[column])
                for i in 0..<k { v += Double(dense[row * k + i]) * Double(weight[column * k + i]) }
                if column >= 3 { v = MatmulEpilogueTests.activated(v, .geluTanh) }
                expected[row * n + column] = Float(Double(residualValues[row * n + column]) + v)
            }
        }
        expected = output.decode(output.encode(expected))
        // A rounding boundary crossed by the f32 sum moves a value by one unit in the last place:
        // about 2⁻¹¹ (f16) or 2⁻⁸ (bf16) relative to it, on a few values at most. A wrong decode or
        // a store to the wrong element is far above these.
        // The cooperative kernel multiplies f16 copies of its operands (f32 weights lose bits there).
        let cooperative = context.usesCooperativeMatrices && context.device.supportsCooperativeMatrixMatmul
        let threshold: Double = switch output {
        case .f16: cooperative ? 1e-5 : 2e-7
        case .bf16: 1e-5
        default: cooperative ? 1e-5 : 1e-11
        }
        assertClose(values, expected, threshold: threshold, label)
    }

    func testOtherActivationTypesAreRefused() throws {
        let context = sharedContext
        let weight = try context.upload(randomValues(5 * 32, seed: 2), shape: [5, 32])
        let recorder = try context.makeRecorder()
        let quantised = try context.upload(randomValues(3 * 32, seed: 1), shape: [3, 32], dtype: .q8_0)
        XCTAssertThrowsError(try recorder.linear(quantised, weight: weight)) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("activations must be f32, f16 or bf16"), message)
        }
        let x = try context.upload(randomValues(3 * 32, seed: 1), shape: [3, 32])
        XCTAssertThrowsError(try recorder.linear(x, weight: weight, outputDType: .f8E4M3)) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("output must be f32, f16 or bf16"), message)
        }
    }
}

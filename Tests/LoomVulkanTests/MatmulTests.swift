@testable import LoomVulkan
import XCTest

final class MatmulTests: XCTestCase {
    let context = sharedContext

    /// Σ_k a[b][m][k]·w[b][n][k] + bias[n] in Double, on dense host arrays.
    func reference(_ a: [Float], _ w: [Float], bias: [Float]?, batch: Int, m: Int, n: Int, k: Int, sharedWeights: Bool) -> [Float] {
        var output = [Float](repeating: 0, count: batch * m * n)
        for b in 0..<batch {
            let wBase = sharedWeights ? 0 : b * n * k
            for row in 0..<m {
                for column in 0..<n {
                    var sum = Double(bias?[column] ?? 0)
                    for i in 0..<k { sum += Double(a[(b * m + row) * k + i]) * Double(w[wBase + column * k + i]) }
                    output[(b * m + row) * n + column] = Float(sum)
                }
            }
        }
        return output
    }

    func testLinearInEveryWeightDtypeWithOddShapes() throws {
        for (m, n, k) in [(37, 29, 83), (1, 70, 64), (130, 3, 5), (9, 131, 258)] {
            let x = randomValues(m * k, seed: UInt64(m * 1000 + k))
            let weight = randomValues(n * k, seed: UInt64(n * 1000 + k), in: -0.5...0.5)
            let bias = randomValues(n, seed: UInt64(n))
            for dtype in DType.allCases where k % dtype.elementsPerBlock == 0 {
                let label = "\(dtype) \(m)×\(n)×\(k)"
                let result = try evaluateWithShape { recorder in
                    try recorder.linear(context.upload(x, shape: [m, k]), weight: context.upload(weight, shape: [n, k], dtype: dtype),
                                        bias: context.upload(bias, shape: [n]))
                }
                XCTAssertEqual(result.shape, [m, n], label)
                // Against the weights as stored: only accumulation order differs.
                let stored = reference(x, dtype.roundTrip(weight), bias: bias, batch: 1, m: m, n: n, k: k, sharedWeights: true)
                assertClose(result.values, stored, threshold: 1e-10, label)
                // Against full-precision weights: the reduced-precision budget (f8 keeps 3 mantissa
                // bits, Q4_0 16 levels per block).
                let exact = reference(x, weight, bias: bias, batch: 1, m: m, n: n, k: k, sharedWeights: true)
                let budget = switch dtype {
                case .f32: 1e-10
                case .f16, .bf16, .q8_0: 5e-4
                case .f8E4M3: 2e-3
                case .q4_0: 2e-2
                }
                assertClose(result.values, exact, threshold: budget, label)
            }
        }
    }

    /// Shapes whose rows are texel-aligned (K a multiple of 4 for f32, 8 for 16-bit weights) take
    /// the CPU texel kernel on CPU devices; these cover each tile size with ragged M, N and K tails, on the kernel
    /// whose lanes share their fetches of A (where subgroups shuffle) and on the one without. 12 columns leave most
    /// lanes of a subgroup idle, and 3 rows give rows of a single tile. Outputs of up to 256 columns (a multiple of 4)
    /// take the kernel whose lanes share the weights instead where subgroups shuffle: 20 columns leave a partial group
    /// of 16, and 517 rows span three groups of 256.
    func testAlignedShapesAcrossTileSizesAndTails() throws {
        let unshared = try VulkanContext(sharingFetches: false)
        for (m, n, k, dtype) in [(45, 300, 100, DType.f32), (70, 1100, 64, .bf16), (5, 130, 136, .f16), (33, 75, 20, .f32), (40, 140, 48, .f8E4M3),
                                 (37, 150, 96, .q8_0), (9, 70, 64, .q4_0), (3, 12, 32, .bf16), (66, 12, 40, .f32),
                                 (300, 20, 48, .bf16), (517, 256, 64, .f16), (1, 96, 32, .f32), (70, 4, 8, .bf16)] {
            let x = randomValues(m * k, seed: UInt64(m + n + k))
            let weight = randomValues(n * k, seed: UInt64(n * k), in: -0.5...0.5)
            let bias = randomValues(n, seed: UInt64(k))
            let expected = reference(x, dtype.roundTrip(weight), bias: bias, batch: 1, m: m, n: n, k: k, sharedWeights: true)
            for context in [context, unshared] {
                let result = try evaluateWithShape(in: context) { recorder in
                    try recorder.linear(context.upload(x, shape: [m, k]), weight: context.upload(weight, shape: [n, k], dtype: dtype),
                                        bias: context.upload(bias, shape: [n]))
                }
                assertClose(result.values, expected, threshold: 1e-10, "\(dtype) \(m)×\(n)×\(k)")
            }
        }
    }

    /// Which texel kernel ran: where the device's subgroups shuffle, the one whose lanes share their fetches of A, or
    /// for outputs of at most 256 columns the one whose lanes share the weights.
    func testTexelKernelSharesFetchesWhereSubgroupsShuffle() throws {
        guard context.matmulKernel == .texels else { throw XCTSkip("the texel kernels run on CPU devices") }
        func variants(_ context: VulkanContext, columns n: Int) throws -> [String] {
            let recorder = try context.makeRecorder(profiling: true)
            _ = try recorder.linear(context.upload(randomValues(8 * 32, seed: 1), shape: [8, 32]),
                                    weight: context.upload(randomValues(n * 32, seed: 2), shape: [n, 32], dtype: .bf16))
            try recorder.submit()
            return recorder.timings.map(\.name).filter { $0.hasPrefix("matmul") }
        }
        let sharing = context.device.subgroups.sharingSize != nil
        XCTAssertEqual(try variants(context, columns: 260), [sharing ? "matmul_texels_shared_bf16" : "matmul_texels_bf16"])
        XCTAssertEqual(try variants(context, columns: 16), [sharing ? "matmul_texels_rows" : "matmul_texels_bf16"])
        XCTAssertEqual(try variants(VulkanContext(sharingFetches: false), columns: 16), ["matmul_texels_bf16"])
    }

    /// A batch of activations against one weight: the kernel whose lanes share the weights walks the batch.
    func testNarrowOutputsOverABatchOfActivations() throws {
        let (batch, m, n, k) = (3, 70, 20, 24)
        let a = randomValues(batch * m * k, seed: 36)
        let b = randomValues(n * k, seed: 37)
        let result = try evaluateWithShape { try $0.matmul(context.upload(a, shape: [batch, m, k]), transposedB: context.upload(b, shape: [n, k])) }
        XCTAssertEqual(result.shape, [batch, m, n])
        assertClose(result.values, reference(a, b, bias: nil, batch: batch, m: m, n: n, k: k, sharedWeights: true), threshold: 1e-10, "batched")
    }

    /// Activation rows that do not start on a texel send every dtype through the storage-buffer
    /// kernel (the one GPUs run) even on CPU devices.
    func testStorageBufferKernelForEveryDtype() throws {
        let (m, n, k) = (11, 40, 64)
        let storage = randomValues(m * (k + 1), seed: 45)
        let x = try context.upload(storage, shape: [m, k + 1]).sliced(axis: 1, 1..<(k + 1))
        let dense = gather(storage, shape: [m, k], strides: [k + 1, 1], offset: 1)
        let weight = randomValues(n * k, seed: 46)
        for dtype in DType.allCases {
            let result = try evaluate { try $0.linear(x, weight: context.upload(weight, shape: [n, k], dtype: dtype)) }
            let expected = reference(dense, dtype.roundTrip(weight), bias: nil, batch: 1, m: m, n: n, k: k, sharedWeights: true)
            assertClose(result, expected, threshold: 1e-10, "\(dtype) via storage buffers")
        }
    }

    /// The shared-memory kernel GPUs run, forced on whatever device runs the tests.
    func testTiledKernelForEveryDtypeAndRaggedTiles() throws {
        let tiled = try VulkanContext(matmulKernel: .tiled)
        for (m, n, k) in [(70, 67, 64), (5, 130, 96), (33, 20, 41)] {
            let x = randomValues(m * k, seed: UInt64(47 + k))
            let weight = randomValues(n * k, seed: UInt64(48 + k))
            let bias = randomValues(n, seed: 49)
            for dtype in DType.allCases where k % dtype.elementsPerBlock == 0 {
                let recorder = try tiled.makeRecorder()
                let y = try recorder.linear(tiled.upload(x, shape: [m, k]), weight: tiled.upload(weight, shape: [n, k], dtype: dtype),
                                            bias: tiled.upload(bias, shape: [n]))
                try recorder.submit()
                let expected = reference(x, dtype.roundTrip(weight), bias: bias, batch: 1, m: m, n: n, k: k, sharedWeights: true)
                assertClose(try tiled.download(y), expected, threshold: 1e-10, "tiled \(dtype) \(m)×\(n)×\(k)")
            }
        }
        let (batch, m, n, k) = (2, 9, 70, 20)
        let a = randomValues(batch * m * k, seed: 50)
        let b = randomValues(batch * n * k, seed: 51)
        let recorder = try tiled.makeRecorder()
        let y = try recorder.matmul(tiled.upload(a, shape: [batch, m, k]), transposedB: tiled.upload(b, shape: [batch, n, k]))
        try recorder.submit()
        assertClose(try tiled.download(y), reference(a, b, bias: nil, batch: batch, m: m, n: n, k: k, sharedWeights: false),
                    threshold: 1e-10, "tiled batched")
    }

    func testLinearMergesLeadingDimensionsAndReadsSlicedActivations() throws {
        let (batch, rows, k, n) = (2, 5, 19, 11)
        let padded = k + 6
        let storage = randomValues(batch * rows * padded, seed: 30)
        let weight = randomValues(n * k, seed: 31)
        // Columns 4..<4+k of every padded row: row stride 25, offset 4.
        let x = try context.upload(storage, shape: [batch, rows, padded]).sliced(axis: 2, 4..<(4 + k))
        let result = try evaluateWithShape { try $0.linear(x, weight: context.upload(weight, shape: [n, k], dtype: .f16)) }
        XCTAssertEqual(result.shape, [batch, rows, n])
        let dense = gather(storage, shape: [batch, rows, k], strides: [rows * padded, padded, 1], offset: 4)
        let expected = reference(dense, DType.f16.roundTrip(weight), bias: nil, batch: 1, m: batch * rows, n: n, k: k, sharedWeights: true)
        assertClose(result.values, expected, threshold: 1e-10, "sliced linear")
    }

    func testLinearOverPermutedBatchUsesBatchStrides() throws {
        let (rows, batch, k, n) = (6, 3, 16, 10)
        let storage = randomValues(rows * batch * k, seed: 32)
        let weight = randomValues(n * k, seed: 33)
        // [rows, batch, k] viewed as [batch, rows, k]: leading dimensions cannot merge.
        let x = try context.upload(storage, shape: [rows, batch, k]).permuted([1, 0, 2])
        let result = try evaluateWithShape { try $0.linear(x, weight: context.upload(weight, shape: [n, k], dtype: .bf16)) }
        let dense = gather(storage, shape: [batch, rows, k], strides: [k, batch * k, 1], offset: 0)
        let expected = reference(dense, DType.bf16.roundTrip(weight), bias: nil, batch: batch, m: rows, n: n, k: k, sharedWeights: true)
        assertClose(result.values, expected, threshold: 1e-10, "permuted linear")
    }

    func testBatchedMatmulWithPerBatchRightHandSide() throws {
        let (batch, m, n, k) = (3, 10, 9, 21)
        let a = randomValues(batch * m * k, seed: 34)
        let b = randomValues(batch * n * k, seed: 35)
        let result = try evaluateWithShape { try $0.matmul(context.upload(a, shape: [batch, m, k]), transposedB: context.upload(b, shape: [batch, n, k])) }
        XCTAssertEqual(result.shape, [batch, m, n])
        assertClose(result.values, reference(a, b, bias: nil, batch: batch, m: m, n: n, k: k, sharedWeights: false), threshold: 1e-10, "batched")
    }

    func testMatmulSharesAnUnbatchedLeftHandSide() throws {
        let (batch, m, n, k) = (2, 7, 5, 32)
        let a = randomValues(m * k, seed: 36)
        let b = randomValues(batch * n * k, seed: 37)
        let result = try evaluateWithShape { try $0.matmul(context.upload(a, shape: [m, k]), transposedB: context.upload(b, shape: [batch, n, k])) }
        XCTAssertEqual(result.shape, [batch, m, n])
        let expected = reference(a + a, b, bias: nil, batch: batch, m: m, n: n, k: k, sharedWeights: false)
        assertClose(result.values, expected, threshold: 1e-10, "shared left-hand side")
    }

    func testScaledFloat8WeightsAreDequantisedByTheirScale() throws {
        // "Scaled fp8" checkpoints store weight / scale in e4m3 plus the scalar scale.
        let (m, n, k, scale) = (6, 70, 64, Float(0.0123))
        let x = randomValues(m * k, seed: 38)
        let stored = randomValues(n * k, seed: 39, in: -400...400)
        let bias = randomValues(n, seed: 40)
        let result = try evaluate { recorder in
            try recorder.linear(context.upload(x, shape: [m, k]), weight: context.upload(stored, shape: [n, k], dtype: .f8E4M3),
                                weightScale: scale, bias: context.upload(bias, shape: [n]))
        }
        let dequantised = DType.f8E4M3.roundTrip(stored).map { $0 * scale }
        assertClose(result, reference(x, dequantised, bias: bias, batch: 1, m: m, n: n, k: k, sharedWeights: true), threshold: 1e-10, "scaled f8")
    }

    func testMatmulRejectsMismatchedInnerDimension() throws {
        let recorder = try context.makeRecorder()
        XCTAssertThrowsError(try recorder.linear(context.makeTensor(shape: [4, 8]), weight: context.makeTensor(shape: [3, 7]))) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(message.contains("inner dimensions"), message)
        }
    }
}

import LoomVulkan
import XCTest

/// The `VK_KHR_cooperative_matrix` matmul kernel against the CPU reference, on shapes that leave
/// partial blocks in every dimension for both block sizes the host picks (32 or 64 square on
/// lavapipe's 8 × 8 matrices, 64 or 128 on 16 × 16) and partial steps of k. Skipped on devices
/// without the extension (the machine's Mesa 22); run them under a newer lavapipe with
/// `../shared/tools/mesa-next` (see README). `CooperativeMatrix2MatmulTests` runs the same cases on
/// the `VK_NV_cooperative_matrix2` kernel.
class CooperativeMatmulTests: XCTestCase {
    /// (batch, M, N, K): aligned, odd, single row, K below one step, batched, K whole Q8_0/Q4_0
    /// blocks, a grid of at least 128 blocks (the larger block size), and long K on small grids
    /// (split into 2 to 8 parts). A store of an edge block
    /// outside its rows or columns lands in the next row or batch of the output, where the values
    /// are checked (allocations around the output could not show it: lavapipe drops stores past
    /// the bound range).
    static let shapes = [(1, 16, 16, 16), (1, 37, 29, 83), (1, 1, 70, 64), (1, 130, 3, 5), (1, 9, 131, 258), (3, 17, 33, 40),
                         (1, 70, 67, 96), (2, 45, 100, 160), (33, 70, 70, 32), (1, 37, 29, 1030), (2, 20, 40, 1024)]

    func cooperativeContext(for dtype: DType) throws -> VulkanContext {
        try LoomVulkanTests.cooperativeContext(for: "matmul_coopmat_\(dtype)") { $0.cooperativeMatmulAvailable(for: dtype) }
    }

    /// Σ_k a·w (+ bias) in Double; `w` has one batch or `batch`.
    func reference(_ a: [Float], _ w: [Float], bias: [Float]?, batch: Int, m: Int, n: Int, k: Int) -> [Float] {
        let sharedWeights = w.count == n * k
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

    /// The kernel multiplies f16 copies of the activations and of the dequantised weights.
    func staged(_ values: [Float], as dtype: DType = .f32) -> [Float] { DType.f16.roundTrip(dtype.roundTrip(values)) }

    /// Reduced-precision budget against full-precision inputs: f16 activations, plus the weights'
    /// own rounding (f8 keeps 3 mantissa bits, Q4_0 16 levels per block).
    func budget(_ dtype: DType) -> Double {
        switch dtype {
        case .f32, .f16, .bf16, .q8_0: 5e-4
        case .f8E4M3: 2e-3
        case .q4_0: 2e-2
        }
    }

    func testEveryWeightDtypeWithPartialBlocksBiasAndBatches() throws {
        for dtype in DType.allCases {
            let context = try cooperativeContext(for: dtype)
            var worst = 0.0
            for (index, (batch, m, n, k)) in Self.shapes.enumerated() where k % dtype.elementsPerBlock == 0 {
                let label = "\(dtype) \(batch)×\(m)×\(n)×\(k)"
                let a = randomValues(batch * m * k, seed: UInt64(m * 1000 + k))
                let w = randomValues(batch * n * k, seed: UInt64(n * 1000 + k), in: -0.5...0.5)
                let bias = index % 2 == 0 ? randomValues(n, seed: UInt64(n)) : nil
                let recorder = try context.makeRecorder()
                let output = try recorder.matmul(context.upload(a, shape: [batch, m, k]),
                                                 transposedB: context.upload(w, shape: [batch, n, k], dtype: dtype),
                                                 bias: bias.map { try context.upload($0, shape: [n]) })
                try recorder.submit()
                let result = try context.download(output)
                XCTAssertEqual(output.shape, [batch, m, n], label)
                // Exact products of the f16 copies, accumulated in f32: only the order of the sums differs…
                assertClose(result, reference(staged(a), staged(w, as: dtype), bias: bias, batch: batch, m: m, n: n, k: k), threshold: 1e-10, label)
                // …and the full-precision product within the budget.
                let exact = reference(a, w, bias: bias, batch: batch, m: m, n: n, k: k)
                assertClose(result, exact, threshold: budget(dtype), label)
                worst = max(worst, nmse(exact, result))
            }
            print("\(context.matmulKernel) matmul \(dtype): largest NMSE against full-precision inputs \(worst)")
        }
    }

    /// Activation rows with a stride and offset (vector-aligned or not), a permuted batch, and
    /// weights starting inside their buffer.
    func testStridedActivationsAndOffsetWeights() throws {
        for (dtype, k, padding) in [(DType.f16, 40, 4), (.f32, 37, 5), (.bf16, 64, 3), (.q4_0, 64, 4), (.f8E4M3, 24, 8)] {
            let context = try cooperativeContext(for: dtype)
            let (batch, m, n) = (2, 19, 41)
            let label = "\(dtype) K \(k) row padding \(padding)"
            let storage = randomValues(batch * m * (k + padding), seed: UInt64(k + padding))
            let x = try context.upload(storage, shape: [batch, m, k + padding]).sliced(axis: 2, padding..<(k + padding))
            let dense = gather(storage, shape: [batch, m, k], strides: [m * (k + padding), k + padding, 1], offset: padding)
            // Rows 2..<n + 2 of a larger weight: the offset is 2 rows of whole blocks.
            let weight = randomValues((n + 2) * k, seed: UInt64(n * k), in: -0.5...0.5)
            let rows = try context.upload(weight, shape: [n + 2, k], dtype: dtype).sliced(axis: 0, 2..<(n + 2))
            let used = Array(weight[(2 * k)...])
            let bias = randomValues(n, seed: 3)
            let recorder = try context.makeRecorder()
            let merged = try recorder.linear(x, weight: rows, bias: context.upload(bias, shape: [n]))
            // [m, batch, k] as [batch, m, k]: rows batch·(k + padding) apart, batches k + padding.
            let permuted = try context.upload(storage, shape: [m, batch, k + padding]).permuted([1, 0, 2]).sliced(axis: 2, padding..<(k + padding))
            let perBatch = try recorder.linear(permuted, weight: rows)
            try recorder.submit()
            assertClose(try context.download(merged), reference(staged(dense), staged(used, as: dtype), bias: bias, batch: 1, m: batch * m, n: n, k: k),
                        threshold: 1e-10, label)
            let permutedDense = gather(storage, shape: [batch, m, k], strides: [k + padding, batch * (k + padding), 1], offset: padding)
            assertClose(try context.download(perBatch), reference(staged(permutedDense), staged(used, as: dtype), bias: nil, batch: batch, m: m, n: n, k: k),
                        threshold: 1e-10, "\(label), permuted batch")
        }
    }

    /// Scaled fp8 checkpoints: stored values up to ±400, the per-tensor scale applied in f32.
    func testScaledFloat8Weights() throws {
        let context = try cooperativeContext(for: .f8E4M3)
        let (m, n, k, scale) = (6, 70, 64, Float(0.0123))
        let x = randomValues(m * k, seed: 38), stored = randomValues(n * k, seed: 39, in: -400...400), bias = randomValues(n, seed: 40)
        let recorder = try context.makeRecorder()
        let output = try recorder.linear(context.upload(x, shape: [m, k]), weight: context.upload(stored, shape: [n, k], dtype: .f8E4M3),
                                         weightScale: scale, bias: context.upload(bias, shape: [n]))
        try recorder.submit()
        let expected = reference(staged(x), DType.f8E4M3.roundTrip(stored), bias: nil, batch: 1, m: m, n: n, k: k)
        assertClose(try context.download(output), zip(expected, bias.repeated(m)).map { $0 * scale + $1 }, threshold: 1e-10)
    }

    /// Activations beyond f16's range saturate at ±65504 instead of becoming infinities.
    func testActivationsBeyondHalfRangeSaturate() throws {
        let context = try cooperativeContext(for: .f16)
        let (m, n, k) = (3, 5, 8)
        var x = randomValues(m * k, seed: 41)
        x[2] = 1e6
        x[13] = -3e5
        let w = randomValues(n * k, seed: 42, in: 0.1...0.5)
        let recorder = try context.makeRecorder()
        let output = try recorder.matmul(context.upload(x, shape: [m, k]), transposedB: context.upload(w, shape: [n, k], dtype: .f16))
        try recorder.submit()
        let clamped = x.map { min(max($0, -65504), 65504) }
        assertClose(try context.download(output), reference(staged(clamped), staged(w, as: .f16), bias: nil, batch: 1, m: m, n: n, k: k), threshold: 1e-10)
    }

    func testLinearUsesCooperativeKernelForLeadingDimensions() throws {
        let context = try cooperativeContext(for: .bf16)
        let (m, n, k) = (2 * 21, 45, 50)
        let x = randomValues(m * k, seed: 7), w = randomValues(n * k, seed: 8, in: -0.5...0.5), bias = randomValues(n, seed: 9)
        let recorder = try context.makeRecorder()
        let output = try recorder.linear(context.upload(x, shape: [2, 21, k]), weight: context.upload(w, shape: [n, k], dtype: .bf16),
                                         bias: context.upload(bias, shape: [n]))
        try recorder.submit()
        XCTAssertEqual(output.shape, [2, 21, n])
        let expected = reference(staged(x), staged(w, as: .bf16), bias: bias, batch: 1, m: m, n: n, k: k)
        assertClose(try context.download(output), expected, threshold: 1e-10)
    }
}

private extension Array {
    /// The elements `count` times over.
    func repeated(_ count: Int) -> [Element] { Array((0..<count).map { _ in self }.joined()) }
}

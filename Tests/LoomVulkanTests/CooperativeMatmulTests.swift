import LoomVulkan
import XCTest

/// The `VK_KHR_cooperative_matrix` matmul kernel against the CPU reference, on shapes that leave
/// partial tiles (16 or 8) in every dimension. Skipped on devices without the extension (the machine's
/// Mesa 22); run them under a newer lavapipe with `../shared/tools/mesa-next` (see README).
final class CooperativeMatmulTests: XCTestCase {
    static let context = Result { try VulkanContext(matmulKernel: .cooperative) }

    /// (batch, M, N, K): aligned, odd, single-row, K below one tile, batched.
    static let shapes = [(1, 16, 16, 16), (1, 64, 48, 32), (1, 37, 29, 83), (1, 1, 70, 64), (1, 130, 3, 5),
                         (1, 9, 131, 258), (3, 17, 33, 40)]

    func cooperativeContext(for dtype: DType) throws -> VulkanContext {
        let context = try Self.context.get()
        guard context.device.supportsCooperativeMatrixMatmul else {
            throw XCTSkip("the Vulkan device has no VK_KHR_cooperative_matrix with 16×16×16 or 8×8×8 f16 → f32 matrices")
        }
        // The device has it, so a missing variant is a build problem: fail rather than skip.
        guard context.cooperativeMatmulAvailable(for: dtype) else { throw MissingVariant(dtype: dtype) }
        return context
    }

    struct MissingVariant: Error, CustomStringConvertible {
        let dtype: DType
        var description: String { "matmul_coopmat_\(dtype) was not compiled: build with glslangValidator ≥ 13 on PATH (README)" }
    }

    /// Σ_k a·w + bias in Double.
    func reference(_ a: [Float], _ w: [Float], bias: [Float], batch: Int, m: Int, n: Int, k: Int) -> [Float] {
        var output = [Float](repeating: 0, count: batch * m * n)
        for b in 0..<batch {
            for row in 0..<m {
                for column in 0..<n {
                    var sum = Double(bias[column])
                    for i in 0..<k { sum += Double(a[(b * m + row) * k + i]) * Double(w[(b * n + column) * k + i]) }
                    output[(b * m + row) * n + column] = Float(sum)
                }
            }
        }
        return output
    }

    func testCooperativeMatmulWithOddShapes() throws {
        for dtype in [DType.f16, .bf16, .f32] {
            let context = try cooperativeContext(for: dtype)
            for (batch, m, n, k) in Self.shapes {
                let label = "\(dtype) \(batch)×\(m)×\(n)×\(k)"
                let a = randomValues(batch * m * k, seed: UInt64(m * 1000 + k))
                let w = randomValues(batch * n * k, seed: UInt64(n * 1000 + k), in: -0.5...0.5)
                let bias = randomValues(n, seed: UInt64(n))
                let recorder = try context.makeRecorder()
                let output = try recorder.matmul(context.upload(a, shape: [batch, m, k]),
                                                 transposedB: context.upload(w, shape: [batch, n, k], dtype: dtype),
                                                 bias: context.upload(bias, shape: [n]))
                try recorder.submit()
                let result = try context.download(output)
                XCTAssertEqual(output.shape, [batch, m, n], label)
                // The kernel multiplies f16 copies of both inputs exactly and accumulates in f32, so it
                // matches the f16-rounded inputs closely (an f32 kernel would miss this by ~1e-7)…
                let a16 = DType.f16.roundTrip(a), w16 = DType.f16.roundTrip(dtype.roundTrip(w))
                assertClose(result, reference(a16, w16, bias: bias, batch: batch, m: m, n: n, k: k), threshold: 1e-10, label)
                // …and the exact product within vulkan.md's reduced-precision budget.
                assertClose(result, reference(a, w, bias: bias, batch: batch, m: m, n: n, k: k), threshold: 5e-4, label)
            }
        }
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
        let expected = reference(DType.f16.roundTrip(x), DType.bf16.roundTrip(w), bias: bias, batch: 1, m: m, n: n, k: k)
        assertClose(try context.download(output), expected, threshold: 1e-10)
    }
}

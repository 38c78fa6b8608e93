import LoomVulkan
import XCTest

/// `CooperativeMatmulTests`' cases (every weight dtype, partial blocks, split K, strided and offset
/// views, scaled fp8, saturation) on the `VK_NV_cooperative_matrix2` kernel, which multiplies the
/// same f16 copies and so meets the same bounds. Skipped on devices without the extension's
/// flexible subgroup shapes and per-element operations; Mesa 26's lavapipe has them (mesa-next).
final class CooperativeMatrix2MatmulTests: CooperativeMatmulTests {
    override func cooperativeContext(for dtype: DType) throws -> VulkanContext {
        try cooperativeMatrix2Context(for: "matmul_coopmat2_\(dtype)") { $0.cooperativeMatrix2MatmulAvailable(for: dtype) }
    }

    /// The cases above ran the coopmat2 variants, not a fallback: every dtype, with and without split
    /// K, and the 16-bit activation variants where the device stores 16-bit values.
    func testDispatchesTheCoopmat2Variants() throws {
        for dtype in DType.allCases {
            let context = try cooperativeContext(for: dtype)
            let storages: [DType] = context.supports16BitActivations ? [.f32, .bf16] : [.f32]
            for (k, storage) in [64, 1024].flatMap({ k in storages.map { (k, $0) } }) {
                let (m, n) = (9, 40)
                let label = "\(dtype) K \(k) \(storage) activations"
                context.profile.start()
                let recorder = try context.makeRecorder()
                _ = try recorder.linear(context.upload(randomValues(m * k, seed: 1), shape: [m, k], dtype: storage),
                                        weight: context.upload(randomValues(n * k, seed: 2), shape: [n, k], dtype: dtype))
                try recorder.submit()
                let used = Set(context.profile.stop().filter { $0.kind == .shader }.map(\.name))
                let family = storage == .f32 ? "matmul" : "matmul16"
                XCTAssertTrue(used.contains("\(family)_coopmat2_\(dtype.rawValue)"), "\(label): \(used)")
                XCTAssertFalse(used.contains { $0.contains("_coopmat_") }, "\(label): \(used)")
            }
        }
    }
}

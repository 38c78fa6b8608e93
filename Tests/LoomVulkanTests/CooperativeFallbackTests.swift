@testable import LoomVulkan
import XCTest

/// A cooperative-matrix variant that the driver cannot build (simulated) leaves its operator to the portable kernel,
/// for that call and the rest of the process, with the portable kernel's results. Each test has a context of its own,
/// as a refused variant stays refused. Skipped on devices without `VK_KHR_cooperative_matrix` (run under mesa-next).
final class CooperativeFallbackTests: XCTestCase {
    func context(refusing variant: ShaderVariant) throws -> VulkanContext {
        _ = try cooperativeContext(for: variant.name) { _ in variant.isAvailable }
        let context = try VulkanContext(matmulKernel: .cooperative)
        context.pipelines.simulatedFailures.withLock { _ = $0.insert(variant) }
        return context
    }

    /// Runs `body` twice on `context` and once on the shared portable context; returns the variants `context`
    /// dispatched, after checking that both of its results equal the portable one.
    func compareWithPortable(_ context: VulkanContext, _ label: String,
                             _ body: (VulkanContext, CommandRecorder) throws -> Tensor) throws -> Set<String> {
        let expected = try evaluate { try body(sharedContext, $0) }
        context.profile.start()
        for attempt in 1...2 {
            let recorder = try context.makeRecorder()
            let output = try body(context, recorder)
            try recorder.submit()
            assertClose(try context.download(output), expected, threshold: 1e-12, "\(label), call \(attempt)")
        }
        return Set(context.profile.stop().filter { $0.kind == .shader }.map(\.name))
    }

    func testMatmul() throws {
        let context = try context(refusing: .matmulCoopmatF16)
        let (m, n, k) = (37, 24, 40)
        let x = randomValues(m * k, seed: 1), weight = randomValues(n * k, seed: 2)
        let used = try compareWithPortable(context, "linear") { context, recorder in
            try recorder.linear(context.upload(x, shape: [m, k]), weight: context.upload(weight, shape: [n, k], dtype: .f16))
        }
        XCTAssertTrue(context.pipelines.isRefused(.matmulCoopmatF16))
        XCTAssertFalse(used.contains { $0.contains("coopmat") }, "\(used)")
        // Other dtypes keep the cooperative kernel.
        context.profile.start()
        let recorder = try context.makeRecorder()
        _ = try recorder.linear(context.upload(x, shape: [m, k]), weight: context.upload(weight, shape: [n, k], dtype: .bf16))
        try recorder.submit()
        XCTAssertEqual(Set(context.profile.stop().filter { $0.kind == .shader }.map(\.name)), ["matmul_coopmat_bf16"])
    }

    func testAttention() throws {
        let context = try context(refusing: .attentionCoopmat)
        let (heads, queries, keys, depth) = (2, 9, 14, 32)
        let q = randomValues(heads * queries * depth, seed: 3), k = randomValues(heads * keys * depth, seed: 4)
        let v = randomValues(heads * keys * depth, seed: 5)
        let used = try compareWithPortable(context, "attention") { context, recorder in
            try recorder.attention(query: context.upload(q, shape: [1, heads, queries, depth]),
                                   key: context.upload(k, shape: [1, heads, keys, depth]),
                                   value: context.upload(v, shape: [1, heads, keys, depth]))
        }
        XCTAssertTrue(context.pipelines.isRefused(.attentionCoopmat))
        XCTAssertFalse(used.contains { $0.contains("coopmat") }, "\(used)")
    }

    func testConvolution() throws {
        let context = try context(refusing: .conv2dCoopmatF32)
        let x = randomValues(2 * 8 * 9 * 7, seed: 6), weight = randomValues(16 * 8 * 3 * 3, seed: 7), bias = randomValues(16, seed: 8)
        let used = try compareWithPortable(context, "conv2d") { context, recorder in
            try recorder.conv2d(context.upload(x, shape: [2, 8, 9, 7]), weight: context.upload(weight, shape: [16, 8, 3, 3]),
                                bias: context.upload(bias, shape: [16]), Convolution2DParameters(padding: 1))
        }
        XCTAssertTrue(context.pipelines.isRefused(.conv2dCoopmatF32))
        XCTAssertFalse(used.contains { $0.contains("coopmat") }, "\(used)")
    }
}

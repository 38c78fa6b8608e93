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

    /// A refused coopmat2 variant leaves its dtype to the KHR cooperative kernel (the same results as a
    /// `.cooperative` context), and where that is refused too, to the portable kernel; other dtypes keep coopmat2.
    /// Skipped on devices without `VK_NV_cooperative_matrix2` (mesa-next has it).
    func testCooperativeMatrix2Matmul() throws {
        _ = try cooperativeMatrix2Context(for: ShaderVariant.matmulCoopmat2F16.name) { _ in ShaderVariant.matmulCoopmat2F16.isAvailable }
        let khr = try cooperativeContext(for: ShaderVariant.matmulCoopmatF16.name) { _ in ShaderVariant.matmulCoopmatF16.isAvailable }
        let (m, n, k) = (37, 24, 40)
        let x = randomValues(m * k, seed: 1), weight = randomValues(n * k, seed: 2)
        func linear(_ context: VulkanContext, _ dtype: DType = .f16) throws -> (values: [Float], used: Set<String>) {
            context.profile.start()
            let recorder = try context.makeRecorder()
            let output = try recorder.linear(context.upload(x, shape: [m, k]), weight: context.upload(weight, shape: [n, k], dtype: dtype))
            try recorder.submit()
            let used = Set(context.profile.stop().filter { $0.kind == .shader }.map(\.name))
            return (try context.download(output), used)
        }
        let context = try VulkanContext(matmulKernel: .cooperative2)
        context.pipelines.simulatedFailures.withLock { _ = $0.insert(.matmulCoopmat2F16) }
        let expected = try linear(khr).values
        for attempt in 1...2 {
            let (values, used) = try linear(context)
            assertClose(values, expected, threshold: 1e-12, "call \(attempt)")
            XCTAssertEqual(used, ["matmul_coopmat_f16"], "call \(attempt)")
        }
        XCTAssertTrue(context.pipelines.isRefused(.matmulCoopmat2F16))
        XCTAssertEqual(try linear(context, .bf16).used, ["matmul_coopmat2_bf16"])

        let neither = try VulkanContext(matmulKernel: .cooperative2)
        neither.pipelines.simulatedFailures.withLock { $0.formUnion([.matmulCoopmat2F16, .matmulCoopmatF16]) }
        let portable = try evaluate { try $0.linear(sharedContext.upload(x, shape: [m, k]), weight: sharedContext.upload(weight, shape: [n, k], dtype: .f16)) }
        for attempt in 1...2 {
            let (values, used) = try linear(neither)
            assertClose(values, portable, threshold: 1e-12, "both refused, call \(attempt)")
            XCTAssertFalse(used.contains { $0.contains("coopmat") }, "\(used)")
        }
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

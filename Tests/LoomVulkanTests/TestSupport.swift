import LoomVulkan
import XCTest

/// One device for the whole suite: creating instances repeatedly is slow on lavapipe.
let sharedContext: VulkanContext = {
    do { return try VulkanContext() } catch { fatalError("\(error)") }
}()

/// A context that runs the cooperative-matrix kernels where the device has them.
let cooperativeMatrixContext = Result { try VulkanContext(matmulKernel: .cooperative) }

/// `cooperativeMatrixContext`, for a test of `variant`: skips on devices without
/// `VK_KHR_cooperative_matrix`, and fails where the device has it but `available` says the build's
/// glslang left the variant empty (a build problem, not a device one).
func cooperativeContext(for variant: String, available: (VulkanContext) -> Bool) throws -> VulkanContext {
    let context = try cooperativeMatrixContext.get()
    guard context.device.supportsCooperativeMatrixMatmul else {
        throw XCTSkip("the Vulkan device has no VK_KHR_cooperative_matrix with 16×16×16 or 8×8×8 f16 → f32 matrices")
    }
    guard available(context) else { throw MissingCooperativeVariant(variant: variant) }
    return context
}

/// A context that runs the `VK_NV_cooperative_matrix2` matmul kernel where the device has it.
let cooperativeMatrix2Context = Result { try VulkanContext(matmulKernel: .cooperative2) }

/// `cooperativeMatrix2Context`, for a test of `variant`: skips on devices without
/// `VK_NV_cooperative_matrix2`'s flexible f16 → f32 subgroup shapes and per-element operations, and
/// where the build's glslang left the variant empty: unlike the KHR variants, the glslang PyPI offers
/// (13) cannot compile them, so a build that follows the README's mesa-next steps lacks them.
func cooperativeMatrix2Context(for variant: String, available: (VulkanContext) -> Bool) throws -> VulkanContext {
    let context = try cooperativeMatrix2Context.get()
    guard context.device.supportsCooperativeMatrix2Matmul else {
        throw XCTSkip("the Vulkan device has no VK_NV_cooperative_matrix2 with flexible f16 → f32 subgroup shapes and per-element operations")
    }
    guard available(context) else {
        throw XCTSkip("\(MissingCooperativeVariant(variant: variant, glslang: 15))")
    }
    return context
}

struct MissingCooperativeVariant: Error, CustomStringConvertible {
    let variant: String
    var glslang = 13
    var description: String { "\(variant) was not compiled: build with glslangValidator ≥ \(glslang) on PATH (README)" }
}

/// Records the operators `body` builds, submits them and downloads the tensor it returns.
func evaluateWithShape(in context: VulkanContext = sharedContext, _ body: (CommandRecorder) throws -> Tensor) throws -> (shape: [Int], values: [Float]) {
    let recorder = try context.makeRecorder()
    let output = try body(recorder)
    try recorder.submit()
    return (output.shape, try context.download(output))
}

func evaluate(_ body: (CommandRecorder) throws -> Tensor) throws -> [Float] { try evaluateWithShape(body).values }

/// Deterministic inputs so a failure reproduces.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomValues(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -2...2) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Float.random(in: range, using: &generator) }
}

/// Normalised mean squared error Σ(a−b)²/Σa², in Double.
func nmse(_ expected: [Float], _ actual: [Float]) -> Double {
    var error = 0.0, norm = 0.0
    for (e, a) in zip(expected, actual) {
        error += Double(e - a) * Double(e - a)
        norm += Double(e) * Double(e)
    }
    return norm == 0 ? error : error / norm
}

/// Elements equal in count, the same positions non-finite, and NMSE at most `threshold`.
func assertClose(_ actual: [Float], _ expected: [Float], threshold: Double, _ label: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(label): element count", file: file, line: line)
    guard actual.count == expected.count else { return }
    for index in expected.indices where expected[index].isFinite != actual[index].isFinite {
        XCTFail("\(label): element \(index) is \(actual[index]), expected \(expected[index])", file: file, line: line)
        return
    }
    let finite = expected.indices.filter { expected[$0].isFinite }
    let error = nmse(finite.map { expected[$0] }, finite.map { actual[$0] })
    XCTAssertLessThanOrEqual(error, threshold, "\(label): NMSE \(error)", file: file, line: line)
}

/// Host copy of the elements a strided view selects, in row-major order of `shape`.
func gather(_ values: [Float], shape: [Int], strides: [Int], offset: Int) -> [Float] {
    let count = shape.reduce(1, *)
    return (0..<count).map { linear in
        var rest = linear, index = offset
        for axis in shape.indices.reversed() {
            index += (rest % shape[axis]) * strides[axis]
            rest /= shape[axis]
        }
        return values[index]
    }
}

/// `values` stored in `dtype` (f32, f16 or bf16) by dropping the bits that do not fit instead of
/// rounding: what a truncating 16-bit store would give, for checking that a threshold rejects it.
func truncatingRoundTrip(_ values: [Float], _ dtype: DType) -> [Float] {
    switch dtype {
    case .bf16: values.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) }
    // f16 keeps 10 fraction bits; within its normal range the shortened f32 is exactly an f16.
    case .f16: values.map { Float(bitPattern: $0.bitPattern & 0xFFFF_E000) }
    default: values
    }
}

/// NMSE bound for results stored in `dtype` against a reference rounded the same way: a rounding
/// boundary crossed by f32 arithmetic moves a value by one unit in the last place (2⁻¹¹ or 2⁻⁸
/// relative) on a rare value; truncating instead of rounding, or a decode off by a bit, errs on most
/// of them, giving an NMSE near 3·10⁻⁷ (f16) or 2·10⁻⁵ (bf16) on a few hundred values.
func sixteenBitStorageThreshold(_ dtype: DType) -> Double {
    switch dtype {
    case .f16: 2e-8
    case .bf16: 1e-6
    default: 1e-12
    }
}

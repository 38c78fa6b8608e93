import Foundation
import LoomVulkan
import XCTest

/// Matmul throughput, printed as GFLOP/s. Timing is never asserted; the results are checked
/// against a CPU reference on sampled entries. Runs only with LOOM_VULKAN_BENCH=1 because
/// large shapes take seconds on CPU devices. LOOM_VULKAN_BENCH_SHAPES lists MxNxK shapes,
/// LOOM_VULKAN_BENCH_KERNEL (tiled, texels, plain, cooperative, cooperative2) overrides the device's kernel.
final class MatmulBenchmark: XCTestCase {
    func testMatmulThroughput() throws {
        guard ProcessInfo.processInfo.environment["LOOM_VULKAN_BENCH"] != nil else { throw XCTSkip("set LOOM_VULKAN_BENCH=1 to run") }
        let environment = ProcessInfo.processInfo.environment
        let kernel: MatmulKernel? = switch environment["LOOM_VULKAN_BENCH_KERNEL"] {
        case "tiled": .tiled
        case "texels": .texels
        case "plain": .plain
        case "cooperative": .cooperative
        case "cooperative2": .cooperative2
        default: nil
        }
        let context = kernel == nil ? sharedContext : try VulkanContext(matmulKernel: kernel)
        let shapes = (environment["LOOM_VULKAN_BENCH_SHAPES"] ?? "1024x1024x1024")
            .split(separator: ",").map { $0.split(separator: "x").map { Int($0)! } }
        print("device: \(context.device.info.name), matmul kernel: \(context.matmulKernel)")
        for shape in shapes {
            let (m, n, k) = (shape[0], shape[1], shape[2])
            let x = randomValues(m * k, seed: 50)
            let weight = randomValues(n * k, seed: 51)
            let input = try context.upload(x, shape: [m, k])
            for dtype in DType.allCases {
                let w = try context.upload(weight, shape: [n, k], dtype: dtype)
                var output: Tensor?
                var best = Double.infinity, bestCPU = Double.infinity, bestDevice = Double.infinity
                for _ in 0..<3 {
                    let recorder = try context.makeRecorder(profiling: true)
                    let (start, startCPU) = (ContinuousClock.now, processCPUSeconds())
                    output = try recorder.linear(input, weight: w)
                    try recorder.submit()
                    let elapsed = ContinuousClock.now - start
                    best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
                    bestCPU = min(bestCPU, processCPUSeconds() - startCPU)
                    bestDevice = min(bestDevice, recorder.timings[0].seconds)
                }
                let flop = 2.0 * Double(m * n * k)
                // Per CPU-second as well: on a shared machine wall time depends on other load.
                print(String(format: "matmul %dx%dx%d %@ weights: %.1f ms wall, %.2f GFLOP/s (device timestamps %.2f GFLOP/s; %.2f GFLOP per CPU-second)",
                             m, n, k, dtype.rawValue, best * 1e3, flop / best / 1e9, flop / bestDevice / 1e9, flop / bestCPU / 1e9))

                let result = try context.download(output!)
                let stored = dtype.roundTrip(weight)
                var generator = SeededGenerator(seed: 52)
                var expected: [Float] = [], actual: [Float] = []
                for _ in 0..<64 {
                    let (row, column) = (Int.random(in: 0..<m, using: &generator), Int.random(in: 0..<n, using: &generator))
                    var sum = 0.0
                    for i in 0..<k { sum += Double(x[row * k + i]) * Double(stored[column * k + i]) }
                    expected.append(Float(sum))
                    actual.append(result[row * n + column])
                }
                // The cooperative kernel multiplies f16 copies of the activations: vulkan.md's reduced-precision budget.
                assertClose(actual, expected, threshold: context.usesCooperativeMatrices ? 5e-4 : 1e-10, "\(dtype) \(shape)")
            }
        }
    }
}

/// User plus system CPU time of this process, all threads (llvmpipe runs shaders on its own).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}

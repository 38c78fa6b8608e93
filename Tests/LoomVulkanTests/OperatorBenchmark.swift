import Foundation
import LoomVulkan
import XCTest

/// Device time per operator (timestamp queries), printed as µs per run and Melem/s. Timing is
/// never asserted; sampled outputs are checked. Runs only with LOOM_VULKAN_BENCH=1.
final class OperatorBenchmark: XCTestCase {
    func testOperatorThroughput() throws {
        guard ProcessInfo.processInfo.environment["LOOM_VULKAN_BENCH"] != nil else { throw XCTSkip("set LOOM_VULKAN_BENCH=1 to run") }
        let context = sharedContext
        let (rows, width) = (1024, 3072)
        let xs = randomValues(rows * width, seed: 60), ys = randomValues(rows * width, seed: 61), ws = randomValues(width, seed: 62)
        let x = try context.upload(xs, shape: [rows, width])
        let y = try context.upload(ys, shape: [rows, width])
        let w = try context.upload(ws, shape: [width])
        var best: [String: Double] = [:]
        var outputs: [String: Tensor] = [:]
        for _ in 0..<3 {
            let recorder = try context.makeRecorder(profiling: true)
            let operations: [(String, () throws -> Tensor)] = [
                ("add", { try recorder.add(x, y) }),
                ("multiply (row broadcast)", { try recorder.multiply(x, w) }),
                ("scaled", { try recorder.scaled(x, by: 0.5) }),
                ("silu", { try recorder.silu(x) }),
                ("gelu", { try recorder.gelu(x) }),
                ("softmax", { try recorder.softmax(x) }),
                ("layerNorm", { try recorder.layerNorm(x, weight: w, bias: w) }),
                ("rmsNorm", { try recorder.rmsNorm(x, weight: w) }),
                ("groupNorm (32 groups)", { try recorder.groupNorm(x.reshaped([1, rows, width]), groups: 32) }),
            ]
            for (name, operation) in operations { outputs[name] = try operation() }
            try recorder.submit()
            for ((name, _), timing) in zip(operations, recorder.timings) { best[name] = min(best[name] ?? .infinity, timing.seconds) }
        }
        print("device: \(context.device.info.name), \(rows)×\(width) f32")
        for (name, seconds) in best.sorted(by: { $0.key < $1.key }) {
            print(String(format: "%@: %.0f µs, %.0f Melem/s", name, seconds * 1e6, Double(rows * width) / seconds / 1e6))
        }

        let sum = try context.download(outputs["add"]!), softmax = try context.download(outputs["softmax"]!)
        let silu = try context.download(outputs["silu"]!)
        var generator = SeededGenerator(seed: 63)
        for _ in 0..<32 {
            let index = Int.random(in: 0..<(rows * width), using: &generator)
            XCTAssertEqual(sum[index], xs[index] + ys[index])
            XCTAssertEqual(silu[index], xs[index] / (1 + exp(-xs[index])), accuracy: 1e-5)
            let row = index / width
            XCTAssertEqual(softmax[(row * width)..<((row + 1) * width)].reduce(0, +), 1, accuracy: 1e-4)
        }
    }
}

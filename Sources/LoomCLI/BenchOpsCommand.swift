import ArgumentParser
import Foundation
import LoomVulkan

/// `loom bench ops`: device time of the neural operators at representative shapes, scaled to fit
/// a small machine, next to NumPy's sgemm on the same CPU as a yardstick.
struct BenchOpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops", abstract: "Time the Vulkan operators (µs and GFLOP/s per operator and shape).")

    @Option(help: "Timed repetitions of each operator after one warm-up run; the best is reported.")
    var repetitions = 3

    @Option(help: "Tokens of the linear and attention shapes.")
    var tokens = 1024

    /// One table row: how to build the operator's inputs and record it, and its floating-point work.
    struct Case {
        let name: String
        let shape: String
        let flops: Double
        let record: (CommandRecorder) throws -> Tensor
    }

    func run() throws {
        let context = try VulkanContext()
        print("device: \(context.device.info.name)")
        print("operator".padding(toLength: 22, withPad: " ", startingAt: 0) + "shape".padding(toLength: 42, withPad: " ", startingAt: 0)
            + "      µs   GFLOP/s")
        for benchCase in try cases(context) {
            var best = Double.infinity
            for run in 0...repetitions {
                let recorder = try context.makeRecorder(profiling: true)
                _ = try benchCase.record(recorder)
                try recorder.submit()
                // The first run compiles pipelines; only later ones count.
                if run > 0 { best = min(best, recorder.timings.reduce(0) { $0 + $1.seconds }) }
            }
            let gflops = benchCase.flops / best / 1e9
            print(benchCase.name.padding(toLength: 22, withPad: " ", startingAt: 0) + benchCase.shape.padding(toLength: 42, withPad: " ", startingAt: 0)
                + String(format: "%8.0f %9.2f", best * 1e6, gflops))
        }
        print(numpySgemm(m: tokens, n: 3072, k: 3072))
    }

    func cases(_ context: VulkanContext) throws -> [Case] {
        func random(_ count: Int, seed: UInt64) -> [Float] {
            var state = seed
            return (0..<count).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int(state >> 40) - (1 << 23)) / Float(1 << 25)
            }
        }
        let (tokens, width, heads, depth) = (self.tokens, 3072, 8, 128)
        let x = try context.upload(random(tokens * width, seed: 1), shape: [tokens, width])
        let weight = try context.upload(random(width * width, seed: 2), shape: [width, width], dtype: .bf16)
        let qkv = try context.upload(random(tokens * 3 * heads * depth, seed: 3), shape: [1, tokens, 3 * heads * depth])
        let h = heads * depth
        let (q, k, v) = (try qkv.sliced(axis: 2, 0..<h), try qkv.sliced(axis: 2, h..<(2 * h)), try qkv.sliced(axis: 2, (2 * h)..<(3 * h)))
        let table = try context.upload(RotaryEmbedding.table(positions: (0..<(tokens * 3)).map { Float($0 % 64) }, axisDimensions: [16, 56, 56]),
                                       shape: [tokens, depth / 2, 2])
        // q's heads as a [1, H, L, D] view of the fused projection.
        let qHeads = Tensor(storage: qkv.storage, dtype: .f32, shape: [1, heads, tokens, depth], strides: [tokens * 3 * h, depth, 3 * h, 1])
        let (channels, side) = (256, 64)
        let image = try context.upload(random(channels * side * side, seed: 4), shape: [1, channels, side, side])
        let kernel3 = try context.upload(random(channels * channels * 9, seed: 5), shape: [channels, channels, 3, 3], dtype: .f16)
        let kernel1 = try context.upload(random(channels * channels, seed: 6), shape: [channels, channels, 1, 1], dtype: .f16)
        let shift = try context.upload(random(width, seed: 7), shape: [1, width])
        let pixels = Double(side * side)
        return [
            Case(name: "linear bf16", shape: "\(tokens)×\(width) · [\(width), \(width)]ᵀ", flops: 2 * Double(tokens * width * width)) {
                try $0.linear(x, weight: weight)
            },
            Case(name: "attention", shape: "\(tokens) tokens, \(heads) heads × \(depth)", flops: 4 * Double(tokens * tokens * heads * depth)) {
                try $0.attention(query: q, key: k, value: v, heads: heads)
            },
            Case(name: "conv2d 3×3 f16", shape: "[1, \(channels), \(side), \(side)] → \(channels)", flops: 2 * pixels * Double(channels * channels * 9)) {
                try $0.conv2d(image, weight: kernel3, Convolution2DParameters(padding: 1))
            },
            Case(name: "conv2d 1×1 f16", shape: "[1, \(channels), \(side), \(side)] → \(channels)", flops: 2 * pixels * Double(channels * channels)) {
                try $0.conv2d(image, weight: kernel1)
            },
            Case(name: "rope", shape: "q of \(tokens) tokens, \(heads) heads × \(depth)", flops: 6 * Double(tokens * h / 2)) {
                try $0.rope(qHeads, table: table)
            },
            Case(name: "modulate", shape: "\(tokens)×\(width)", flops: 2 * Double(tokens * width)) {
                try $0.modulate(x, shift: shift, scale: shift)
            },
        ]
    }

    /// NumPy's float32 matmul throughput on this machine, or why it could not be measured.
    func numpySgemm(m: Int, n: Int, k: Int) -> String {
        let script = """
            import time, numpy as np
            a = np.random.rand(\(m), \(k)).astype(np.float32); b = np.random.rand(\(k), \(n)).astype(np.float32)
            a @ b
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - start)
            print(f"{2 * \(m) * \(n) * \(k) / best / 1e9:.1f}")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "numpy sgemm: numpy not available (python3 did not start)" }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let value = Double(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return "numpy sgemm: numpy not available"
        }
        return String(format: "numpy sgemm %d×%d×%d f32 (CPU yardstick): %.1f GFLOP/s", m, n, k, value)
    }
}

import ArgumentParser
import Foundation
import LoomVulkan

/// `loom bench ops`: device time of the neural operators at transformer shapes (Flux dev's width and heads by
/// default, fewer tokens to suit a small machine), next to NumPy's sgemm on the same CPU as a yardstick.
struct BenchOpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops", abstract: "Time the Vulkan operators (µs, GFLOP/s and TFLOP/s per operator and shape).")

    @Option(help: "Timed repetitions of each operator after one warm-up run; the best is reported.")
    var repetitions = 3

    @Option(help: "Tokens of the linear and attention shapes (Flux dev at 1024²: 4608).")
    var tokens = 1024

    @OptionGroup var shape: TransformerShapeOptions

    @Option(help: "Channels (in and out) of the convolution shapes (a Flux VAE's last levels: 128 to 512; the bundled test AE's: 32 and 64).")
    var convChannels = 256

    @Option(help: "Side of the convolutions' square input.")
    var convSide = 64

    @Flag(help: "Time Flux's linear layers (q/k/v, projection, MLP, the single blocks' fused ones) with bf16 and fp8 weights instead of one square bf16 matrix.")
    var fluxLinears = false

    @Option(help: "Only operators whose name contains this text.")
    var filter: String?

    @Option(help: "The matmul kernel family (cooperative2, cooperative, tiled, texels or plain); default: the device's. Either cooperative one also selects the cooperative attention and convolution kernels.")
    var kernel: MatmulKernel?

    @OptionGroup var report: BenchReportOptions

    /// One table row: how to build the operator's inputs and record it, and its floating-point work.
    struct Case {
        let name: String
        let shape: String
        let flops: Double
        /// [m, n, k] of a matrix product, for comparing with another library's GEMM.
        var gemm: [Int]?
        /// [tokens, heads, head width] of an attention.
        var attention: [Int]?
        let record: (CommandRecorder) throws -> Tensor
    }

    struct Timing: Encodable {
        let name: String
        let shape: String
        let microseconds: Double
        let gflops: Double
        let tflops: Double
        let gemm: [Int]?
        let attention: [Int]?
    }

    struct Report: Encodable {
        let device: String
        let cooperativeMatrix: Bool
        let tokens: Int
        let width: Int
        let heads: Int
        let operators: [Timing]
    }

    func validate() throws {
        guard tokens > 0, repetitions > 0 else { throw ValidationError("--tokens and --repetitions must be positive") }
        // The input and output tensors, f32, and the 3×3 weight stay within 256 MiB each.
        guard (1...4096).contains(convChannels), (1...8192).contains(convSide), convChannels * convSide * convSide <= 1 << 26 else {
            throw ValidationError("--conv-channels (1 to 4096) × --conv-side² (1 to 8192²) must stay within 2^26 values")
        }
    }

    func run() throws {
        let context = try VulkanContext(matmulKernel: kernel)
        let selected = try cases(context).filter { benchCase in filter.map { benchCase.name.contains($0) } ?? true }
        guard !selected.isEmpty else { throw ValidationError("no operator's name contains '\(filter ?? "")'") }
        report.line("device: \(context.device.info.name)" + (context.device.supportsCooperativeMatrixMatmul ? " (cooperative matrices)" : "")
            + ", matmul kernel: \(context.matmulKernel)")
        report.line("operator".padding(toLength: 22, withPad: " ", startingAt: 0) + "shape".padding(toLength: 42, withPad: " ", startingAt: 0)
            + "        µs    GFLOP/s  TFLOP/s")
        var timings: [Timing] = []
        for benchCase in selected {
            var best = Double.infinity
            for run in 0...repetitions {
                let recorder = try context.makeRecorder(profiling: true)
                _ = try benchCase.record(recorder)
                try recorder.submit()
                // The first run compiles pipelines; only later ones count.
                if run > 0 { best = min(best, recorder.timings.reduce(0) { $0 + $1.seconds }) }
            }
            let gflops = benchCase.flops / best / 1e9
            timings.append(Timing(name: benchCase.name, shape: benchCase.shape, microseconds: best * 1e6, gflops: gflops,
                                  tflops: gflops / 1000, gemm: benchCase.gemm, attention: benchCase.attention))
            report.line(benchCase.name.padding(toLength: 22, withPad: " ", startingAt: 0) + benchCase.shape.padding(toLength: 42, withPad: " ", startingAt: 0)
                + String(format: "%10.0f %10.2f %8.3f", best * 1e6, gflops, gflops / 1000))
        }
        if report.json {
            try report.write(Report(device: context.device.info.name, cooperativeMatrix: context.device.supportsCooperativeMatrixMatmul,
                                    tokens: tokens, width: shape.width, heads: shape.heads, operators: timings))
        } else {
            print(numpySgemm(m: tokens, n: shape.width, k: shape.width))
        }
    }

    func cases(_ context: VulkanContext) throws -> [Case] {
        let (tokens, width, heads, depth) = (self.tokens, shape.width, shape.heads, shape.headDimension)
        let x = try context.upload(random(tokens * width, seed: 1), shape: [tokens, width])
        let qkv = try context.upload(random(tokens * 3 * width, seed: 3), shape: [1, tokens, 3 * width])
        let (q, k, v) = (try qkv.sliced(axis: 2, 0..<width), try qkv.sliced(axis: 2, width..<(2 * width)), try qkv.sliced(axis: 2, (2 * width)..<(3 * width)))
        let table = try context.upload(RotaryEmbedding.table(positions: (0..<(tokens * 3)).map { Float($0 % 64) }, axisDimensions: shape.rotaryAxes),
                                       shape: [tokens, depth / 2, 2])
        // q's heads as a [1, H, L, D] view of the fused projection.
        let qHeads = Tensor(storage: qkv.storage, dtype: .f32, shape: [1, heads, tokens, depth], strides: [tokens * 3 * width, depth, 3 * width, 1])
        let (channels, side) = (convChannels, convSide)
        let image = try context.upload(random(channels * side * side, seed: 4), shape: [1, channels, side, side])
        let kernel3 = try context.upload(random(channels * channels * 9, seed: 5), shape: [channels, channels, 3, 3], dtype: .f16)
        let kernel1 = try context.upload(random(channels * channels, seed: 6), shape: [channels, channels, 1, 1], dtype: .f16)
        let rgb = try context.upload(random(3 * side * side, seed: 8), shape: [1, 3, side, side])
        let kernelRGB = try context.upload(random(channels * 3 * 9, seed: 9), shape: [channels, 3, 3, 3], dtype: .f16)
        let shift = try context.upload(random(width, seed: 7), shape: [1, width])
        let pixels = Double(side * side)
        let linears = try fluxLinears ? fluxLinearCases(context) : [linearCase(context, "linear bf16", inputs: width, outputs: width, dtype: .bf16, seed: 2)]
        return linears + [
            Case(name: "attention", shape: "\(tokens) tokens, \(heads) heads × \(depth)", flops: 4 * Double(tokens * tokens * width),
                 attention: [tokens, heads, depth]) {
                try $0.attention(query: q, key: k, value: v, heads: heads)
            },
            Case(name: "conv2d 3×3 f16", shape: "[1, \(channels), \(side), \(side)] → \(channels)", flops: 2 * pixels * Double(channels * channels * 9)) {
                try $0.conv2d(image, weight: kernel3, Convolution2DParameters(padding: 1))
            },
            // A network's first layer: an RGB image in (its channels padded to 8 for the texel kernel on CPU devices).
            Case(name: "conv2d RGB f16", shape: "[1, 3, \(side), \(side)] → \(channels)", flops: 2 * pixels * Double(channels * 3 * 9)) {
                try $0.conv2d(rgb, weight: kernelRGB, Convolution2DParameters(padding: 1))
            },
            // Counted as the upsampling and 3×3 convolution it replaces, so that its GFLOP/s compare with the line above.
            Case(name: "conv2d ↑2 f16", shape: "[1, \(channels), \(side), \(side)] ↑2 → \(channels)",
                 flops: 8 * pixels * Double(channels * channels * 9)) {
                try $0.upsampledConv2d(image, weight: kernel3)
            },
            Case(name: "conv2d 1×1 f16", shape: "[1, \(channels), \(side), \(side)] → \(channels)", flops: 2 * pixels * Double(channels * channels)) {
                try $0.conv2d(image, weight: kernel1)
            },
            Case(name: "rope", shape: "q of \(tokens) tokens, \(heads) heads × \(depth)", flops: 6 * Double(tokens * width / 2)) {
                try $0.rope(qHeads, table: table)
            },
            Case(name: "modulate", shape: "\(tokens)×\(width)", flops: 2 * Double(tokens * width)) {
                try $0.modulate(x, shift: shift, scale: shift)
            },
        ]
    }

    /// The matrices of one Flux block at this width, with f32 activations of `tokens` rows, each in bf16 and fp8.
    func fluxLinearCases(_ context: VulkanContext) throws -> [Case] {
        let w = shape.width
        let layers: [(name: String, inputs: Int, outputs: Int)] = [
            ("qkv", w, 3 * w), ("proj", w, w), ("mlp.0", w, 4 * w), ("mlp.2", 4 * w, w), ("linear1", w, 7 * w), ("linear2", 5 * w, w),
        ]
        return try layers.enumerated().flatMap { index, layer in
            try [DType.bf16, .f8E4M3].map { dtype in
                try linearCase(context, "\(layer.name) \(dtype.rawValue)", inputs: layer.inputs, outputs: layer.outputs, dtype: dtype,
                               seed: UInt64(10 + index))
            }
        }
    }

    func linearCase(_ context: VulkanContext, _ name: String, inputs: Int, outputs: Int, dtype: DType, seed: UInt64) throws -> Case {
        let x = try context.upload(random(tokens * inputs, seed: seed), shape: [tokens, inputs])
        let weight = try context.upload(random(outputs * inputs, seed: seed + 100), shape: [outputs, inputs], dtype: dtype)
        return Case(name: name, shape: "\(tokens)×\(inputs) · [\(outputs), \(inputs)]ᵀ", flops: 2 * Double(tokens * inputs * outputs),
                    gemm: [tokens, outputs, inputs]) {
            try $0.linear(x, weight: weight)
        }
    }

    func random(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(state >> 40) - (1 << 23)) / Float(1 << 25)
        }
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

extension MatmulKernel: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "cooperative": self = .cooperative
        case "cooperative2": self = .cooperative2
        case "tiled": self = .tiled
        case "texels": self = .texels
        case "plain": self = .plain
        default: return nil
        }
    }

    public static var allValueStrings: [String] { ["cooperative", "tiled", "texels", "plain"] }
}

import ArgumentParser
import Foundation
import LoomModelFiles
import LoomModels

/// `loom bench vision`: seconds per image and peak device memory of a SigLIP encode at 384² (the Redux encoder),
/// by default SigLIP so400m's shape with random f16 weights (`--layers` fewer to finish sooner on a CPU device),
/// next to transformers' SiglipVisionModel of the same shape timed in the same run as a yardstick.
struct BenchVisionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vision", abstract: "Time a SigLIP vision encode and its peak device memory, with PyTorch's time for the same shape.")

    @Option(help: "A CLIP-vision file (SigLIP or CLIP ViT) instead of the synthetic so400m-shaped one.")
    var model: String?

    @Option(help: "Encoder layers of the synthetic model (so400m has 27; its other sizes are kept: width 1152, MLP 4304, 16 heads, patch 14, 384 px).")
    var layers = 27

    @Option(help: "Images per encode.")
    var batch = 1

    @Option(help: "Timed encodes after one warm-up; the best is reported.")
    var repetitions = 2

    @Option(help: "The Python with torch and transformers that times the reference; 'none' skips it.")
    var python = "python3"

    static let so400m = (width: 1152, mlp: 4304, patch: 14, grid: 27)

    func run() throws {
        guard layers > 0, batch > 0, repetitions > 0 else { throw ValidationError("--layers, --batch and --repetitions must be positive") }
        var temporary: URL?
        let path: String
        if let model {
            path = model
        } else {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bench-siglip-\(layers)-\(ProcessInfo.processInfo.processIdentifier).safetensors")
            try SyntheticWeights.write(Self.siglipTensors(layers: layers), to: url)
            temporary = url
            path = url.path
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }

        let context = try ComputeDevice.processDefault.context()
        let before = context.device.tensorMemoryBytes
        let encoder = try VisionTransformer(weights: ModelWeights(file: ModelFile.open(path: path), context: context))
        let p = encoder.parameters
        print("device: \(context.device.info.name)")
        print("model: \(encoder.kind) width \(p.hiddenSize), \(p.layerCount) layers, MLP \(p.mlpHiddenSize), \(encoder.headCount) heads, "
              + "patch \(p.patchSize), \(p.imageSize) px; "
              + String(format: "%.1f MiB of weights on the device", Double(context.device.tensorMemoryBytes - before) / 1_048_576))
        let size = p.imageSize
        var random = SystemRandomNumberGenerator.Seeded(seed: 5)
        let pixels = HostTensor(shape: [batch, 3, size, size],
                                values: (0..<(batch * 3 * size * size)).map { _ in Float(Int(random.next() % 2001) - 1000) / 1000 })
        _ = try encoder.encode(pixels)  // compiles pipelines
        context.device.resetPeakMemory()
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<repetitions { best = min(best, try clock.measure { _ = try encoder.encode(pixels) }.microseconds / 1e6) }
        let tokens = (size / p.patchSize) * (size / p.patchSize) + (encoder.kind == .clip ? 1 : 0)
        let flops = Double(batch) * Self.flops(tokens: tokens, width: p.hiddenSize, mlp: p.mlpHiddenSize, layers: p.layerCount, patch: p.patchSize)
        print("batch   tokens   s/encode   GFLOP/s   peak tensor MiB   peak allocated MiB")
        print(String(format: "%5d   %6d   %8.3f   %7.1f   %15.1f   %18.1f", batch, tokens, best, flops / best / 1e9,
                     Double(context.device.peakTensorMemoryBytes) / 1_048_576, Double(context.device.peakAllocatedMemoryBytes) / 1_048_576))
        guard python != "none" else { return }
        if encoder.kind == .siglip, let reference = referenceSeconds(width: p.hiddenSize, mlp: p.mlpHiddenSize, layers: p.layerCount,
                                                                    heads: encoder.headCount, patch: p.patchSize, size: size) {
            print(String(format: "PyTorch (transformers SiglipVisionModel, float32, CPU, same shape): %.3f s/encode; Loom / PyTorch %.2f",
                         reference.seconds, best / reference.seconds) + " (\(reference.threads) threads)")
        } else {
            print("PyTorch reference: unavailable (\(encoder.kind == .siglip ? "\(python) has no torch and transformers" : "only SigLIP is compared"))")
        }
    }

    /// so400m's tensors under ComfyUI's names (transformers' SiglipVisionModel under `vision_model.`) with `layers` layers.
    static func siglipTensors(layers: Int) -> [(name: String, shape: [Int])] {
        let (width, mlp, patch, grid) = so400m
        let p = "vision_model."
        var tensors: [(name: String, shape: [Int])] = [
            (p + "embeddings.patch_embedding.weight", [width, 3, patch, patch]), (p + "embeddings.patch_embedding.bias", [width]),
            (p + "embeddings.position_embedding.weight", [grid * grid, width]),
        ]
        for layer in 0..<layers {
            let q = p + "encoder.layers.\(layer)."
            for norm in ["layer_norm1", "layer_norm2"] { tensors += [(q + norm + ".weight", [width]), (q + norm + ".bias", [width])] }
            for projection in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                tensors += [(q + "self_attn.\(projection).weight", [width, width]), (q + "self_attn.\(projection).bias", [width])]
            }
            tensors += [(q + "mlp.fc1.weight", [mlp, width]), (q + "mlp.fc1.bias", [mlp]), (q + "mlp.fc2.weight", [width, mlp]), (q + "mlp.fc2.bias", [width])]
        }
        tensors += [(p + "post_layernorm.weight", [width]), (p + "post_layernorm.bias", [width])]
        return tensors
    }

    /// Multiply-adds × 2 of one image's encode: patch convolution, per layer the four projections, attention
    /// scores and values, and the MLP.
    static func flops(tokens: Int, width: Int, mlp: Int, layers: Int, patch: Int) -> Double {
        let (t, w, m) = (Double(tokens), Double(width), Double(mlp))
        let perLayer = 2 * t * (4 * w * w + 2 * w * m) + 4 * t * t * w
        return 2 * t * w * Double(3 * patch * patch) + Double(layers) * perLayer
    }

    /// Best-of-`repetitions` seconds of transformers' SiglipVisionModel (random weights, float32, eval, no grad) on
    /// the same input shape, run by `python`; nil when it cannot run.
    func referenceSeconds(width: Int, mlp: Int, layers: Int, heads: Int, patch: Int, size: Int) -> (seconds: Double, threads: Int)? {
        let script = """
            import time, torch
            from transformers import SiglipVisionConfig, SiglipVisionModel
            torch.manual_seed(0)
            config = SiglipVisionConfig(hidden_size=\(width), intermediate_size=\(mlp), num_hidden_layers=\(layers),
                                        num_attention_heads=\(heads), patch_size=\(patch), image_size=\(size), hidden_act="gelu_pytorch_tanh")
            model = SiglipVisionModel(config).eval()
            pixels = torch.rand((\(batch), 3, \(size), \(size))) * 2 - 1
            with torch.no_grad():
                model(pixel_values=pixels)
                best = float("inf")
                for _ in range(\(repetitions)):
                    start = time.perf_counter(); model(pixel_values=pixels); best = min(best, time.perf_counter() - start)
            print(best, torch.get_num_threads())
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = output.split(whereSeparator: \.isWhitespace)
        guard process.terminationStatus == 0, fields.count == 2, let seconds = Double(fields[0]), let threads = Int(fields[1]) else { return nil }
        return (seconds, threads)
    }
}

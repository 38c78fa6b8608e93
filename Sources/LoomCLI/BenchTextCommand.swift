import ArgumentParser
import Foundation
import LoomModelFiles
import LoomModels

/// `loom bench text`: throughput of the CLIP-L and T5 text encoders, by default on the small golden
/// fixtures (any clip_l / t5xxl file works), at the sequence lengths Flux uses.
struct BenchTextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text", abstract: "Time the CLIP-L and T5 text encoders (tokens per second).")

    @Option(help: "A CLIP-L text encoder file.")
    var clip = "Tests/Fixtures/golden/text/clip-l-small-f16.safetensors"

    @Option(help: "A T5 encoder file.")
    var t5 = "Tests/Fixtures/golden/text/t5-small-bf16.safetensors"

    @Option(help: "Tokens per T5 window (ComfyUI pads Flux prompts to 256).")
    var t5Tokens = 256

    @Option(help: "Windows encoded together in one batch.")
    var batch = 1

    @Option(help: "Timed repetitions after one warm-up run; the best is reported.")
    var repetitions = 3

    func run() throws {
        let context = try ComputeDevice.processDefault.context()
        print("device: \(context.device.info.name)")
        let clipEncoder = try CLIPTextEncoder(weights: ModelWeights(file: try ModelFile.open(path: clip), context: context))
        let t5Encoder = try T5Encoder(weights: ModelWeights(file: try ModelFile.open(path: t5), context: context))
        let clipLength = clipEncoder.parameters.maximumPositions
        let clipWindow = [clipEncoder.startToken] + (1..<(clipLength - 1)).map { $0 % clipEncoder.startToken } + [clipEncoder.endToken]
        let t5Window = (0..<t5Tokens).map { 2 + $0 % max(t5Encoder.vocabularySize - 2, 1) }
        print("encoder   file                                   tokens   seconds   tokens/s")
        report("CLIP-L", clip, tokens: clipLength * batch) { _ = try clipEncoder.encode(Array(repeating: clipWindow, count: batch)) }
        report("T5", t5, tokens: t5Tokens * batch) { _ = try t5Encoder.encode(Array(repeating: t5Window, count: batch)) }
    }

    /// Best wall time of `body` over the repetitions, after a warm-up that compiles the pipelines.
    func report(_ name: String, _ path: String, tokens: Int, _ body: () throws -> Void) {
        do {
            try body()
            let clock = ContinuousClock()
            var best = Double.infinity
            for _ in 0..<max(repetitions, 1) {
                best = min(best, try clock.measure(body).microseconds / 1e6)
            }
            let file = (path as NSString).lastPathComponent.padding(toLength: 38, withPad: " ", startingAt: 0)
            print(name.padding(toLength: 10, withPad: " ", startingAt: 0) + file + String(format: "%7d %9.3f %10.1f", tokens, best, Double(tokens) / best))
        } catch {
            print("\(name): \(error)")
        }
    }
}

import ArgumentParser
import Foundation
import Loom
import LoomModels

/// `loom bench controlnet`: what a Flux ControlNet adds to one Flux transformer evaluation (one sampling step at cfg 1)
/// in time and peak device memory, at given image sizes, for any matching pair of files (by default the bundled
/// Flux dev and union ControlNet, so the numbers measure Loom's overheads on a small machine).
struct BenchControlNetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controlnet", abstract: "Time a Flux transformer evaluation with and without a Flux ControlNet.")

    @Option(help: "The Flux checkpoint (.safetensors or .gguf).")
    var model = "graphs/models/diffusion_models/flux1-dev.safetensors"

    @Option(help: "The Flux ControlNet (InstantX / Shakker-Labs or XLabs layout) of the same width.")
    var controlNet = "graphs/models/controlnet/FLUX.1-dev-Controlnet-Union.safetensors"

    @Option(parsing: .upToNextOption, help: "Square image sizes in pixels.")
    var sizes: [Int] = [512, 1024]

    @Option(help: "Text tokens (ComfyUI pads T5 prompts to 256).")
    var textTokens = 256

    @Option(help: "Timed evaluations per size and case after one warm-up; the mean is reported.")
    var repetitions = 2

    func run() async throws {
        let context = try ComputeDevice.processDefault.context()
        let modelFile = try ModelFile.open(path: model)
        guard let detected = ArchitectureDetector.detect(modelFile).first(where: { if case .flux = $0.architecture { true } else { false } }),
              case .flux(let parameters) = detected.architecture
        else { throw ValidationError("\(model) is not a Flux transformer") }
        let network = try FluxTransformer(weights: ModelWeights(file: modelFile, prefix: detected.prefix, context: context), parameters: parameters)
        let controlFile = try ModelFile.open(path: controlNet)
        guard let found = ArchitectureDetector.detect(controlFile).first(where: { if case .fluxControlNet = $0.architecture { true } else { false } }),
              case .fluxControlNet(let controlParameters) = found.architecture
        else { throw ValidationError("\(controlNet) is not a Flux ControlNet") }
        let controlNetwork = try FluxControlNet(weights: ModelWeights(file: controlFile, prefix: found.prefix, context: context),
                                                parameters: controlParameters)
        print("device: \(context.device.info.name)")
        print("model: \(detected.architecture); ControlNet: \(found.architecture)")
        print(" size   bare s/eval   with s/eval   extra s   bare peak tensor MiB   with peak tensor MiB")
        var random = SystemRandomNumberGenerator.Seeded(seed: 13)
        func noise(_ shape: [Int], scale: Float = 1) -> HostTensor {
            HostTensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in scale * Float(Int(random.next() % 2001) - 1000) / 1000 })
        }
        for size in sizes {
            let latent = size / 8
            var input = DiffusionInput(
                x: noise([1, network.latentChannels, latent, latent]), timestep: 0.8,
                context: noise([1, textTokens, parameters.contextDimension]), vector: noise([1, parameters.pooledDimension]),
                guidance: 3.5, concat: network.concatChannels > 0 ? noise([1, network.concatChannels, latent, latent]) : nil)
            // The hint as sampling prepares it: a latent for InstantX-layout files, the picture in [0, 1] for XLabs ones.
            let hint = controlParameters.layout == .xlabs
                ? HostTensor(shape: [1, 3, size, size], values: noise([1, 3, size, size]).values.map { abs($0) })
                : noise([1, controlParameters.hintChannels / 4, latent, latent])
            let control = ControlInput(network: controlNetwork, hint: hint, strength: 0.8,
                                       controlType: controlParameters.unionModeCount == nil ? [] : [0], guidance: 3.5)
            func measure() async throws -> (seconds: Double, peak: Double) {
                _ = try await network.prediction(for: input)  // compiles pipelines
                context.device.resetPeakMemory()
                let elapsed = try await ContinuousClock().measure {
                    for _ in 0..<repetitions { _ = try await network.prediction(for: input) }
                }
                return (elapsed.microseconds / 1e6 / Double(max(repetitions, 1)), Double(context.device.peakTensorMemoryBytes) / 1_048_576)
            }
            let bare = try await measure()
            input.controls = [control]
            let steered = try await measure()
            print(String(format: "%5d   %11.3f   %11.3f   %7.3f   %20.1f   %20.1f", size, bare.seconds, steered.seconds,
                         steered.seconds - bare.seconds, bare.peak, steered.peak))
        }
    }
}

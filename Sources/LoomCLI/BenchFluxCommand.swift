import ArgumentParser
import Foundation
import Loom
import LoomModels

/// `loom bench flux`: seconds per Flux transformer evaluation (one sampling step at cfg 1) and the
/// peak device memory, at given image sizes, for any Flux checkpoint (by default the tiny golden
/// fixture, so the numbers measure Loom's overheads on a small machine).
struct BenchFluxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flux", abstract: "Time Flux transformer evaluations and measure peak device memory.")

    @Option(help: "The Flux checkpoint (.safetensors or .gguf).")
    var model = "Tests/Fixtures/golden/flux/flux-dev-golden-bf16.safetensors"

    @Option(parsing: .upToNextOption, help: "Square image sizes in pixels.")
    var sizes: [Int] = [512, 1024]

    @Option(help: "Text tokens (ComfyUI pads T5 prompts to 256).")
    var textTokens = 256

    @Option(help: "Timed evaluations per size after one warm-up; the mean is reported.")
    var repetitions = 2

    @Option(help: "Device memory the weights may keep, in MiB; blocks beyond it are streamed (default: 3/4 of device memory).")
    var weightBudget: Int?

    func run() async throws {
        let file = try ModelFile.open(path: model)
        guard let detected = ArchitectureDetector.detect(file).first(where: { if case .flux = $0.architecture { true } else { false } }),
              case .flux(let parameters) = detected.architecture
        else { throw ValidationError("\(model) is not a Flux transformer") }
        let context = try ComputeDevice.processDefault.context()
        let network = try FluxTransformer(weights: ModelWeights(file: file, prefix: detected.prefix, context: context),
                                          parameters: parameters, weightBudgetBytes: weightBudget.map { $0 << 20 })
        let plan = network.memoryPlan
        print("device: \(context.device.info.name)")
        print("model: \(detected.architecture); \(plan.residentBlockCount)/\(plan.blockCount) blocks resident, "
              + String(format: "%.1f MiB of weights on the device", Double(plan.residentBytes) / 1_048_576))
        // Device memory comes from the driver in blocks of up to 256 MiB; tensors use part of them.
        print(" size   tokens   s/evaluation   peak tensor MiB   peak allocated MiB")
        var random = SystemRandomNumberGenerator.Seeded(seed: 7)
        func noise(_ shape: [Int]) -> HostTensor {
            HostTensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(Int(random.next() % 2001) - 1000) / 1000 })
        }
        for size in sizes {
            let latent = size / 8
            let input = DiffusionInput(
                x: noise([1, network.latentChannels, latent, latent]), timestep: 0.8,
                context: noise([1, textTokens, parameters.contextDimension]), vector: noise([1, parameters.pooledDimension]),
                guidance: 3.5, concat: network.concatChannels > 0 ? noise([1, network.concatChannels, latent, latent]) : nil)
            _ = try await network.prediction(for: input)  // compiles pipelines
            context.device.resetPeakMemory()
            let clock = ContinuousClock()
            let elapsed = try await clock.measure {
                for _ in 0..<repetitions { _ = try await network.prediction(for: input) }
            }
            let seconds = elapsed.microseconds / 1e6 / Double(max(repetitions, 1))
            let tokens = textTokens + ((latent + 1) / 2) * ((latent + 1) / 2)
            print(String(format: "%5d   %6d   %12.3f   %15.1f   %18.1f", size, tokens, seconds,
                         Double(context.device.peakTensorMemoryBytes) / 1_048_576,
                         Double(context.device.peakAllocatedMemoryBytes) / 1_048_576))
        }
    }
}


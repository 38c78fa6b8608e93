import ArgumentParser
import Foundation
import Loom
import LoomModelFiles
import LoomModels
import LoomVulkan

/// `loom bench flux`: seconds per Flux transformer evaluation (one sampling step at cfg 1) and the
/// peak device memory, at given image sizes, for any Flux checkpoint (by default the tiny golden
/// fixture, so the numbers measure Loom's overheads on a small machine), or for random weights at
/// Flux dev's real shapes made in memory (`--synthetic bf16`).
struct BenchFluxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flux", abstract: "Time Flux transformer evaluations and measure peak device memory.")

    @Option(help: "The Flux checkpoint (.safetensors or .gguf).")
    var model = "Tests/Fixtures/golden/flux/flux-dev-golden-bf16.safetensors"

    @Option(help: "Instead of --model: random weights at Flux dev's shape (or --width, --heads and the block counts) with matrices stored as bf16, f16 or f8_e4m3, made in memory without a file.")
    var synthetic: DType?

    @OptionGroup var shape: TransformerShapeOptions

    @Option(help: "Double-stream blocks of the synthetic model (Flux dev: 19).")
    var doubleBlocks = 19

    @Option(help: "Single-stream blocks of the synthetic model (Flux dev: 38).")
    var singleBlocks = 38

    @Option(parsing: .upToNextOption, help: "Square image sizes in pixels.")
    var sizes: [Int] = [512, 1024]

    @Option(help: "Text tokens (ComfyUI pads T5 prompts to 256).")
    var textTokens = 256

    @Option(help: "Timed evaluations per size after one warm-up; the mean is reported.")
    var repetitions = 2

    @Option(help: "Device memory the weights may keep, in MiB; blocks beyond it are streamed (default: 3/4 of device memory).")
    var weightBudget: Int?

    @OptionGroup var report: BenchReportOptions

    struct Evaluation: Encodable {
        let size: Int
        let tokens: Int
        let seconds: Double
        let firstSeconds: Double
        let peakTensorMiB: Double
        let peakAllocatedMiB: Double
    }

    struct Report: Encodable {
        let device: String
        let model: String
        let weights: String
        /// `VulkanContext.activationStorage`: the dtype of the activations between projections.
        let activationStorage: String
        let parameters: Int
        let weightMiB: Double
        let residentBlocks: Int
        let blocks: Int
        let loadSeconds: Double
        let blockDispatches: FluxBlockDispatches?
        let evaluations: [Evaluation]
    }

    func validate() throws {
        guard sizes.allSatisfy({ $0 >= 16 }), textTokens > 0, repetitions > 0, doubleBlocks >= 0, singleBlocks >= 0 else {
            throw ValidationError("--sizes must be at least 16 pixels, --text-tokens and --repetitions positive, block counts not negative")
        }
        if let synthetic, ![.bf16, .f16, .f8E4M3].contains(synthetic) {
            throw ValidationError("--synthetic takes bf16, f16 or f8_e4m3")
        }
    }

    func run() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let file = try synthetic.map {
            try SyntheticFlux.inMemory(width: shape.width, heads: shape.heads, doubleBlocks: doubleBlocks, singleBlocks: singleBlocks, dtype: $0)
        } ?? ModelFile.open(path: model)
        guard let detected = ArchitectureDetector.detect(file).first(where: { if case .flux = $0.architecture { true } else { false } }),
              case .flux(let parameters) = detected.architecture
        else { throw ValidationError("\(file.path) is not a Flux transformer") }
        let context = try ComputeDevice.processDefault.context()
        let network = try FluxTransformer(weights: ModelWeights(file: file, prefix: detected.prefix, context: context),
                                          parameters: parameters, weightBudgetBytes: weightBudget.map { $0 << 20 })
        let loadSeconds = (clock.now - started).microseconds / 1e6
        let plan = network.memoryPlan
        let parameterCount = file.tensors.reduce(0) { $0 + $1.elementCount }
        report.line("device: \(context.device.info.name)" + (context.device.supportsCooperativeMatrixMatmul ? " (cooperative matrices)" : "")
            + ", activations stored as \(context.activationStorage)")
        report.line("model: \(detected.architecture), \(file.path), "
                    + String(format: "%.2f billion parameters; %d/%d blocks resident, %.1f MiB of weights on the device, loaded in %.1f s",
                             Double(parameterCount) / 1e9, plan.residentBlockCount, plan.blockCount, Double(plan.residentBytes) / 1_048_576, loadSeconds))
        // Device memory comes from the driver in blocks of up to 256 MiB; tensors use part of them.
        report.line(" size   tokens   s/evaluation   first s   peak tensor MiB   peak allocated MiB")
        var random = SystemRandomNumberGenerator.Seeded(seed: 7)
        func noise(_ shape: [Int]) -> HostTensor {
            HostTensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(Int(random.next() % 2001) - 1000) / 1000 })
        }
        var evaluations: [Evaluation] = []
        var blockDispatches: FluxBlockDispatches?
        for size in sizes {
            let latent = size / 8
            let input = DiffusionInput(
                x: noise([1, network.latentChannels, latent, latent]), timestep: 0.8,
                context: noise([1, textTokens, parameters.contextDimension]), vector: noise([1, parameters.pooledDimension]),
                guidance: 3.5, concat: network.concatChannels > 0 ? noise([1, network.concatChannels, latent, latent]) : nil)
            // The first evaluation also compiles pipelines.
            let first = try await clock.measure { _ = try await network.prediction(for: input) }
            if blockDispatches == nil {
                let counts = try network.blockDispatches(for: input)
                blockDispatches = counts
                for (kind, count) in [("double", counts.double), ("single", counts.single)] {
                    if let count { report.line("one \(kind)-stream block: \(count.dispatches) dispatches, \(count.barriers) barriers") }
                }
            }
            if report.json { report.line(String(format: "%5d: first evaluation %.2f s", size, first.microseconds / 1e6)) }
            context.device.resetPeakMemory()
            let elapsed = try await clock.measure {
                for _ in 0..<repetitions { _ = try await network.prediction(for: input) }
            }
            let evaluation = Evaluation(
                size: size, tokens: textTokens + ((latent + 1) / 2) * ((latent + 1) / 2), seconds: elapsed.microseconds / 1e6 / Double(repetitions),
                firstSeconds: first.microseconds / 1e6, peakTensorMiB: Double(context.device.peakTensorMemoryBytes) / 1_048_576,
                peakAllocatedMiB: Double(context.device.peakAllocatedMemoryBytes) / 1_048_576)
            evaluations.append(evaluation)
            report.line(String(format: "%5d   %6d   %12.3f   %7.2f   %15.1f   %18.1f", size, evaluation.tokens, evaluation.seconds, evaluation.firstSeconds,
                               evaluation.peakTensorMiB, evaluation.peakAllocatedMiB))
        }
        if report.json {
            try report.write(Report(
                device: context.device.info.name, model: "\(detected.architecture)", weights: synthetic.map { "synthetic \($0.rawValue)" } ?? model,
                activationStorage: context.activationStorage.rawValue,
                parameters: parameterCount, weightMiB: Double(plan.residentBytes) / 1_048_576, residentBlocks: plan.residentBlockCount,
                blocks: plan.blockCount, loadSeconds: loadSeconds, blockDispatches: blockDispatches, evaluations: evaluations))
        }
    }
}

import ArgumentParser
import Foundation
import Loom
import LoomModels

/// `loom bench lora`: what applying LoRAs costs on a width-scaled Flux dev transformer (all 19 + 38 blocks by
/// default, random f16 weights): the time to match and plan 1 and 5 LoRAs and to build the patched network (every
/// patch added on the host, in f32, one weight at a time as it is placed), against building it without patches; the
/// peak device tensor memory of each build; and the process's peak resident memory after each step.
struct BenchLoRACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lora", abstract: "Time applying 1 and 5 LoRAs to a width-scaled Flux transformer.")

    @Option(help: "Hidden width of the synthetic Flux transformer (Flux dev: 3072).")
    var width = 256

    @Option(help: "Double-stream blocks (Flux dev: 19).")
    var doubleBlocks = 19

    @Option(help: "Single-stream blocks (Flux dev: 38).")
    var singleBlocks = 38

    @Option(help: "Rank of each synthetic LoRA (every block matrix is patched).")
    var rank = 16

    @Option(parsing: .upToNextOption, help: "How many LoRAs to stack, one measurement each.")
    var counts: [Int] = [1, 5]

    func run() async throws {
        guard width > 0, width % 64 == 0, rank > 0, doubleBlocks >= 0, singleBlocks >= 0, doubleBlocks + singleBlocks > 0,
              counts.allSatisfy({ (1...64).contains($0) })
        else { throw ValidationError("width must be a positive multiple of 64, rank positive, blocks present, counts 1...64") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bench-lora-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tensors = SyntheticFlux.tensors(width: width, doubleBlocks: doubleBlocks, singleBlocks: singleBlocks)
        let modelURL = folder.appendingPathComponent("flux.safetensors")
        try SyntheticWeights.write(tensors, to: modelURL)
        let loraTensors = SyntheticFlux.lora(of: tensors, rank: rank)
        var loraFiles: [ModelFile] = []
        for index in 0..<(counts.max() ?? 1) {
            let url = folder.appendingPathComponent("lora-\(index).safetensors")
            try SyntheticWeights.write(loraTensors, to: url, seed: UInt64(100 + index))
            loraFiles.append(try ModelFile.open(path: url.path))
        }
        let file = try ModelFile.open(path: modelURL.path)
        guard let detected = ArchitectureDetector.detect(file).first(where: { if case .flux = $0.architecture { true } else { false } }),
              case .flux(let parameters) = detected.architecture
        else { throw ValidationError("the synthetic model was not detected as Flux") }
        let context = try ComputeDevice.processDefault.context()
        let parameterCount = tensors.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let largest = tensors.map { $0.shape.reduce(1, *) }.max() ?? 0
        print("device: \(context.device.info.name)")
        print("model: \(detected.architecture), \(String(format: "%.0f", Double(parameterCount) / 1e6))M parameters in f16 "
              + String(format: "(%.0f MiB); largest weight in f32: %.1f MiB", Double(2 * parameterCount) / 1_048_576, Double(4 * largest) / 1_048_576))
        print("each LoRA: rank \(rank) on \(loraTensors.count / 2) matrices, "
              + String(format: "%.1f MiB in f16", Double(2 * loraTensors.reduce(0) { $0 + $1.shape.reduce(1, *) }) / 1_048_576))
        print(" LoRAs   plan s   build s   extra s over bare   peak tensor MiB   process peak RSS MiB")

        func build(_ patches: [String: [WeightPatch]]) throws -> (seconds: Double, peak: Double) {
            context.device.resetPeakMemory()
            var network: FluxTransformer?
            let elapsed = try ContinuousClock().measure {
                network = try FluxTransformer(weights: ModelWeights(file: file, prefix: detected.prefix, context: context, patches: patches),
                                              parameters: parameters)
            }
            let peak = Double(context.device.peakTensorMemoryBytes) / 1_048_576
            withExtendedLifetime(network) {}
            network = nil
            return (elapsed.microseconds / 1e6, peak)
        }
        _ = try build([:])  // compiles pipelines, touches the file's pages
        let bare = try build([:])
        print(String(format: "%6d   %6.3f   %7.3f   %17.3f   %15.1f   %20.1f", 0, 0.0, bare.seconds, 0.0, bare.peak, Self.peakResidentMiB()))
        for count in counts {
            var patches: [String: [WeightPatch]] = [:]
            let planning = try ContinuousClock().measure {
                for lora in loraFiles.prefix(count) {
                    let plan = try LoRAPatchPlan(lora: lora, diffusionModel: .init(file: file, prefix: detected.prefix),
                                                 architecture: detected.architecture, textEncoders: [:], strengthModel: 0.8, strengthClip: 0)
                    patches = LoRAPatchPlan.merged(patches, plan.diffusionModel)
                }
            }
            let patched = try build(patches)
            print(String(format: "%6d   %6.3f   %7.3f   %17.3f   %15.1f   %20.1f", count, planning.microseconds / 1e6, patched.seconds,
                         patched.seconds - bare.seconds, patched.peak, Self.peakResidentMiB()))
        }
    }

    /// The process's peak resident set so far (Linux `ru_maxrss` is in KiB).
    static func peakResidentMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

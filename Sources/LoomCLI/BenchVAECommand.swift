import ArgumentParser
import Foundation
import LoomModelFiles
import LoomModels
import LoomVulkan

/// `loom bench vae`: AE decode time and peak tensor memory per image size, one pass against tiles.
struct BenchVAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae", abstract: "Time VAE decodes and their peak device memory, untiled and tiled, per image size.")

    @Option(help: "The AE file (defaults to the small golden-fixture AE, whose widths a CPU device can afford).")
    var model = "Tests/Fixtures/golden/vae/flux-ae-golden-bf16.safetensors"

    @Option(parsing: .upToNextOption, help: "Square image sizes in pixels.")
    var sizes: [Int] = [512, 1024, 2048]

    @Option(help: "Tile side in latent cells, overlap a quarter of it.")
    var tile = 64

    @Flag(help: "Average ComfyUI's three tilings (three times the work) instead of one.")
    var threeTilings = false

    @Option(help: "Memory budget in MiB for the automatic choice (reported, not run); by default an eighth of the device's memory, at least 1 GiB.")
    var budget: Int?

    @Option(help: "A Python with PyTorch: time the same decode there (scripts/bench/vae_torch.py, f32 on the CPU, as ComfyUI decodes without a GPU) and print Loom's untiled time as a multiple of it.")
    var python: String?

    @Flag(help: "Break each untiled decode down by shader variant (device time and dispatches).")
    var profile = false

    func run() throws {
        let context = try VulkanContext()
        let autoencoder = try Autoencoder(file: ModelFile.open(path: model), context: context, memoryBudget: budget.map { $0 << 20 })
        let limit = context.device.maxStorageBufferRange
        print("device: \(context.device.info.name), maxStorageBufferRange \(limit >> 20) MiB, budget \(autoencoder.memoryBudget >> 20) MiB")
        print("model: \(model), widths \(autoencoder.parameters.channelMultipliers.map { $0 * autoencoder.parameters.baseChannels })")
        print("size        mode                              seconds   peak MiB   tiles")
        let layout = TileLayout(width: tile, height: tile, overlap: tile / 4, averagesThreeTilings: threeTilings)
        /// The latent of a `size`² image, filled as PyTorch's side (scripts/bench/vae_torch.py) fills it.
        func makeLatent(size: Int) -> HostTensor {
            let cells = size / autoencoder.downscaleFactor
            return HostTensor(shape: [1, autoencoder.latentChannels, cells, cells],
                              values: (0..<(autoencoder.latentChannels * cells * cells)).map { sin(Float($0) * 0.37) })
        }
        var untiled: [Int: Double] = [:]
        // Compiles the pipelines, which would otherwise count in the first size's time.
        if let smallest = sizes.min(), smallest >= autoencoder.downscaleFactor {
            _ = try autoencoder.decode(makeLatent(size: smallest), tiling: .never)
        }
        for size in sizes {
            let cells = size / autoencoder.downscaleFactor
            let latent = makeLatent(size: size)
            let planned = try autoencoder.plannedDecodeTiling(height: cells, width: cells)
            print("\(size)²: automatic decoding \(planned.map { "tiles \($0.width)/\($0.overlap), three tilings" } ?? "in one pass")")
            let modes: [(String, AutoencoderTiling)] = [
                ("untiled", .never),
                ("tiled \(tile)/\(tile / 4)\(threeTilings ? ", three tilings" : "")", .tiles(layout)),
            ]
            for (name, tiling) in modes {
                let label = "\(size)²".padding(toLength: 12, withPad: " ", startingAt: 0) + name.padding(toLength: 34, withPad: " ", startingAt: 0)
                let baseline = context.tensorMemoryBytes
                context.resetPeakTensorMemory()
                var tiles = 0
                let profiled = profile && tiling == .never
                if profiled { context.profile.start() }
                let start = ContinuousClock.now
                do {
                    _ = try autoencoder.decode(latent, tiling: tiling) { _, total in tiles = total }
                } catch let error as VulkanError {
                    print(label + "refused: \(error)")
                    continue
                }
                let seconds = (ContinuousClock.now - start).seconds
                let peak = Double(context.peakTensorMemoryBytes - baseline) / Double(1 << 20)
                print(label + String(format: "%7.2f   %8.1f   %5d", seconds, peak, tiles))
                if profiled { print(profileTable(context.profile.stop())) }
                if tiling == .never { untiled[size] = seconds }
            }
        }
        if let python { try compare(untiled, python: python) }
    }

    /// Runs scripts/bench/vae_torch.py on the same file and sizes and prints the ratios.
    private func compare(_ untiled: [Int: Double], python: String) throws {
        // Relative to the repository root, as the default model is.
        let script = URL(fileURLWithPath: "scripts/bench/vae_torch.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script.path, "--model", model, "--sizes"] + sizes.map(String.init)
        let output = Pipe()
        process.standardOutput = output
        do { try process.run() } catch {
            print("PyTorch reference: \(python) did not start (\(error))")
            return
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            print("PyTorch reference: \(python) \(script.path) failed with status \(process.terminationStatus)")
            return
        }
        print("size        PyTorch-CPU s   Loom untiled s   Loom / PyTorch")
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let size = object["size"] as? Int, let seconds = object["seconds"] as? Double, let loom = untiled[size] else { continue }
            print("\(size)²".padding(toLength: 12, withPad: " ", startingAt: 0)
                + String(format: "%13.3f   %14.3f   %13.1f×", seconds, loom, loom / max(seconds, 1e-12)))
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

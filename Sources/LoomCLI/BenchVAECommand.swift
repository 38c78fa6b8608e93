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

    func run() throws {
        let context = try VulkanContext()
        let autoencoder = try Autoencoder(file: ModelFile.open(path: model), context: context, memoryBudget: budget.map { $0 << 20 })
        let limit = context.device.maxStorageBufferRange
        print("device: \(context.device.info.name), maxStorageBufferRange \(limit >> 20) MiB, budget \(autoencoder.memoryBudget >> 20) MiB")
        print("model: \(model), widths \(autoencoder.parameters.channelMultipliers.map { $0 * autoencoder.parameters.baseChannels })")
        print("size        mode                              seconds   peak MiB   tiles")
        let layout = TileLayout(width: tile, height: tile, overlap: tile / 4, averagesThreeTilings: threeTilings)
        for size in sizes {
            let cells = size / autoencoder.downscaleFactor
            let latent = HostTensor(shape: [1, autoencoder.latentChannels, cells, cells],
                                    values: (0..<(autoencoder.latentChannels * cells * cells)).map { sin(Float($0) * 0.37) })
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
            }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

import ArgumentParser
import Foundation
import Loom
import LoomModels

/// `loom bench unet`: seconds per sampling step of a UNet (one evaluation of a batch, cond and uncond
/// at cfg > 1) and the peak device memory, at given image sizes: by default the tiny SDXL-shaped
/// fixture, or with `--width` SDXL's full structure at a reduced width (random f16 weights).
struct BenchUNetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unet", abstract: "Time UNet sampling steps and measure peak device memory.")

    @Option(help: "The checkpoint or diffusion-model file holding the UNet.")
    var model = "Tests/Fixtures/models/sd/sdxl-tiny.safetensors"

    @Option(help: "Instead of --model: SDXL's levels and depths at this model width (SDXL is 320), random weights.")
    var width: Int?

    @Option(parsing: .upToNextOption, help: "Square image sizes in pixels (the latent is an eighth).")
    var sizes: [Int] = [512, 1024]

    @Option(help: "Samples per evaluation: 2 is one step at cfg > 1 (cond and uncond batched).")
    var batch = 2

    @Option(help: "Context tokens (one 77-token CLIP window).")
    var tokens = 77

    @Option(help: "Timed steps per size after one warm-up; the mean is reported.")
    var repetitions = 1

    @Flag(help: "Break the timed steps down by shader variant (device time and dispatches).")
    var profile = false

    func run() async throws {
        let path: String
        var temporary: URL?
        if let width {
            guard width > 0, width % 64 == 0 else { throw ValidationError("--width must be a positive multiple of 64 (SDXL's head width)") }
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bench-unet-\(width).safetensors")
            try SyntheticUNet.write(SyntheticUNet.sdxl(modelChannels: width), to: url)
            temporary = url
            path = url.path
        } else {
            path = model
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }

        let context = try ComputeDevice.processDefault.context()
        let before = context.device.tensorMemoryBytes
        let network = try UNetModel(file: ModelFile.open(path: path), context: context)
        let parameters = network.parameters
        print("device: \(context.device.info.name)")
        print("model: \(ModelArchitecture.unet(parameters)); "
              + String(format: "%.1f MiB of weights on the device", Double(context.device.tensorMemoryBytes - before) / 1_048_576))
        print(" size   batch   s/step   peak tensor MiB   peak allocated MiB")
        var random = SystemRandomNumberGenerator.Seeded(seed: 11)
        func noise(_ shape: [Int]) -> HostTensor {
            HostTensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(Int(random.next() % 2001) - 1000) / 1000 })
        }
        for size in sizes {
            let latent = max(size / 8, 1)
            let input = DiffusionInput(
                x: noise([batch, network.latentChannels, latent, latent]), timestep: 500,
                context: noise([batch, tokens, parameters.contextDimension ?? 1]),
                vector: parameters.admInChannels.map { noise([batch, $0]) },
                concat: network.concatChannels > 0 ? noise([batch, network.concatChannels, latent, latent]) : nil)
            _ = try await network.prediction(for: input)  // compiles pipelines
            context.device.resetPeakMemory()
            let clock = ContinuousClock()
            if profile { context.profile.start() }
            let elapsed = try await clock.measure {
                for _ in 0..<repetitions { _ = try await network.prediction(for: input) }
            }
            let seconds = elapsed.microseconds / 1e6 / Double(max(repetitions, 1))
            print(String(format: "%5d   %5d   %6.2f   %15.1f   %18.1f", size, batch, seconds,
                         Double(context.device.peakTensorMemoryBytes) / 1_048_576,
                         Double(context.device.peakAllocatedMemoryBytes) / 1_048_576))
            if profile { print(profileTable(context.profile.stop())) }
        }
    }
}

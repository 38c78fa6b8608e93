import Foundation
import LoomModelFiles
@testable import LoomModels
import LoomVulkan
import Testing

/// The InstantX-layout union ControlNet against ComfyUI's own `ControlNetFlux` and Flux forward
/// (Tests/Fixtures/golden/controlnet, scripts/fixtures/make_controlnet_golden.py): per-block residuals and the
/// velocity of the bundled default Flux dev model steered by them.
@Suite struct FluxControlNetTests {
    static let tolerance = 5e-4
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = repository.appendingPathComponent("Tests/Fixtures/golden/controlnet")
    static let golden: ModelFile = {
        do { return try ModelFile.open(path: directory.appendingPathComponent("golden.safetensors").path) } catch { fatalError("\(error)") }
    }()

    static func tensor(_ name: String) -> HostTensor {
        guard let stored = golden[name] else { fatalError("golden.safetensors has no \(name)") }
        return HostTensor(shape: stored.shape, values: stored.floats())
    }

    static func controlNet(_ path: String = directory.appendingPathComponent("flux-controlnet-union-small-bf16.safetensors").path) throws -> FluxControlNet {
        let file = try ModelFile.open(path: path)
        guard case .fluxControlNet(let parameters)? = ArchitectureDetector.detect(file).first?.architecture else {
            throw FluxModelError.unsupportedShape("\(path) is not detected as a Flux ControlNet")
        }
        return try FluxControlNet(weights: ModelWeights(file: file, context: ComputeDevice.processDefault.context()), parameters: parameters)
    }

    static func transformer() throws -> FluxTransformer {
        let file = try ModelFile.open(path: repository.appendingPathComponent("graphs/models/diffusion_models/flux1-dev.safetensors").path)
        guard case .flux(let parameters)? = ArchitectureDetector.detect(file).first?.architecture else {
            throw FluxModelError.unsupportedShape("the bundled Flux dev model is not detected")
        }
        return try FluxTransformer(weights: ModelWeights(file: file, context: ComputeDevice.processDefault.context()), parameters: parameters)
    }

    /// The golden case's model input and its ControlNet (settings: sigma, strength, guidance, union type or −1).
    static func inputs(_ name: String, _ network: FluxControlNet) -> (DiffusionInput, ControlInput) {
        let settings = tensor("\(name).settings").values
        let control = ControlInput(network: network, hint: tensor("\(name).hint"), strength: settings[1],
                                   controlType: settings[3] < 0 ? [] : [Int(settings[3])], guidance: settings[2])
        let input = DiffusionInput(x: tensor("\(name).x"), timestep: settings[0], context: tensor("\(name).context"),
                                   vector: tensor("\(name).pooled"), guidance: settings[2])
        return (input, control)
    }

    @Test func parametersComeFromTheDiffusersKeys() throws {
        let parameters = try Self.controlNet().parameters
        #expect(parameters == FluxControlNetParameters(
            hiddenSize: 32, headDimension: 16, mlpHiddenSize: 128, inChannels: 64, hintChannels: 64, doubleBlockCount: 2,
            singleBlockCount: 2, contextDimension: 16, pooledDimension: 8, hasGuidanceEmbedding: true, unionModeCount: 10))
    }

    @Test(arguments: ["openpose", "auto-batch2"])
    func residualsMatchComfyUI(name: String) throws {
        let network = try Self.controlNet()
        let (input, control) = Self.inputs(name, network)
        let recorder = try network.context.makeRecorder()
        let residuals = try network.residuals(control, for: input, recorder: recorder)
        for (kind, tensors) in [("double", residuals.double), ("single", residuals.single)] {
            #expect(tensors.count == 2)
            for (index, tensor) in tensors.enumerated() {
                let expected = Self.tensor("\(name).\(kind).\(index)")
                #expect(tensor.shape == expected.shape)
                let error = nmse(expected.values, try network.context.download(tensor))
                #expect(error <= Self.tolerance, "\(name) \(kind) \(index): NMSE \(error)")
            }
        }
    }

    @Test(arguments: ["openpose", "auto-batch2"])
    func steeredVelocityMatchesComfyUI(name: String) async throws {
        let network = try Self.controlNet()
        let transformer = try Self.transformer()
        var (input, control) = Self.inputs(name, network)
        let plain = try await transformer.prediction(for: input)
        #expect(nmse(Self.tensor("\(name).plain").values, plain.values) <= Self.tolerance)
        input.controls = [control]
        let steered = try await transformer.prediction(for: input)
        let error = nmse(Self.tensor("\(name).velocity").values, steered.values)
        #expect(error <= Self.tolerance, "\(name): NMSE \(error)")
        // The ControlNet changes the velocity far beyond the tolerance, so the comparison above could fail.
        #expect(nmse(Self.tensor("\(name).velocity").values, plain.values) > 0.1)
    }

    @Test func twoControlNetsAddTheirResiduals() async throws {
        let network = try Self.controlNet()
        let transformer = try Self.transformer()
        var (input, control) = Self.inputs("openpose", network)
        input.controls = [control]
        let once = try await transformer.prediction(for: input)
        // Two halves of the strength add up to the whole, as ComfyUI's control_merge sums chained ControlNets.
        var half = control
        half.strength = control.strength / 2
        input.controls = [half, half]
        let halves = try await transformer.prediction(for: input)
        #expect(nmse(once.values, halves.values) <= 1e-8)
    }

    /// ComfyUI repeats each residual ceil(19 / count) (double) or ceil(38 / count) (single) times in a row and cuts
    /// the list to Flux dev's 19 and 38 blocks, whatever the main model's depth.
    @Test func residualsCoverTheMainBlocksAsComfyUIRepeatsThem() {
        // InstantX union: 5 + 10 blocks.
        #expect((0..<19).map { FluxControlResiduals.slot($0, of: 5, covering: 19)! } == (0..<19).map { $0 / 4 })
        #expect((0..<38).map { FluxControlResiduals.slot($0, of: 10, covering: 38)! } == (0..<38).map { $0 / 4 })
        // Union-Pro-2.0: 6 double blocks repeat 4 times, so the sixth never reaches a main block.
        #expect(Set((0..<19).map { FluxControlResiduals.slot($0, of: 6, covering: 19)! }) == Set(0..<5))
        #expect(FluxControlResiduals.slot(19, of: 5, covering: 19) == nil)
        #expect(FluxControlResiduals.slot(0, of: 0, covering: 38) == nil)
    }

    @Test func unknownUnionModeIsRefused() async throws {
        let network = try Self.controlNet()
        var (input, control) = Self.inputs("openpose", network)
        control.controlType = [10]
        input.controls = [control]
        let transformer = try Self.transformer()
        await #expect { try await transformer.prediction(for: input) } throws: { "\($0)".contains("not one of this ControlNet's 10 modes") }
    }

    @Test func hintOfAnotherSizeIsRefused() async throws {
        let network = try Self.controlNet()
        var (input, control) = Self.inputs("openpose", network)
        control.hint = HostTensor(zeros: [1, 16, 4, 8])
        input.controls = [control]
        let transformer = try Self.transformer()
        await #expect { try await transformer.prediction(for: input) } throws: { "\($0)".contains("hint") && "\($0)".contains("[1, 16, 4, 8]") }
    }

    @Test func controlNetOfAnotherWidthIsRefused() async throws {
        // The tiny union fixture has hidden size 8; the bundled Flux has 32.
        let network = try Self.controlNet(Self.repository.appendingPathComponent("Tests/Fixtures/models/flux-controlnet-union-tiny.safetensors").path)
        var (input, control) = Self.inputs("openpose", try Self.controlNet())
        control.network = network
        input.controls = [control]
        let transformer = try Self.transformer()
        await #expect { try await transformer.prediction(for: input) } throws: { "\($0)".contains("hidden size 8") }
    }
}

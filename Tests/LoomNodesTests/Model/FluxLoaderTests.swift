import Foundation
import LoomGraph
import LoomModelFiles
import LoomModels
import LoomNodes
import LoomSampling
import Testing

/// UNETLoader, UnetLoaderGGUF and ModelSamplingFlux on the golden tiny Flux checkpoints.
@Suite struct FluxLoaderTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// A models root with the golden Flux files in `diffusion_models` and `unet` (legacy) and a VAE
    /// put among them by mistake.
    struct Models {
        let temporary: TemporaryFolders
        let resources = Resources()

        init() throws {
            let temporary = try TemporaryFolders()
            let root = temporary.folders.base + "/models"
            let links = [
                ("diffusion_models/flux-dev.safetensors", "golden/flux/flux-dev-golden-bf16.safetensors"),
                ("unet/flux-dev-Q8_0.gguf", "golden/flux/flux-dev-golden-Q8_0.gguf"),
                ("unet/schnell/flux-schnell.safetensors", "golden/flux/flux-schnell-golden-bf16.safetensors"),
                ("diffusion_models/ae.safetensors", "models/flux-ae-tiny-bf16.safetensors"),
            ]
            for (name, target) in links {
                let path = root + "/" + name
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: fixtures.appendingPathComponent(target).path)
            }
            var folders = temporary.folders
            folders.models = ModelDirectories(modelsRoot: root)
            folders.register(in: resources)
            self.temporary = temporary
        }
    }

    static func run<N: Node>(_ type: N.Type, _ values: [String: NodeValue], resources: Resources) async throws -> NodeResult {
        try await N().execute(NodeInputs(values, nodeID: "1", classType: N.schema.name),
                              context: NodeContext(nodeID: "1", promptID: "p", resources: resources))
    }

    /// The golden `dev` inputs and the velocity the model must give for them.
    static func goldenCase(_ name: String) throws -> (DiffusionInput, [Float]) {
        let directory = fixtures.appendingPathComponent("golden/flux")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("manifest.json"))) as! [String: Any]
        let shapes = manifest["arrays"] as! [String: [Int]]
        let entry = (manifest["cases"] as! [[String: Any]]).first { $0["name"] as? String == name }!
        func array(_ key: String) throws -> HostTensor {
            let name = entry[key] as! String
            let data = try Data(contentsOf: directory.appendingPathComponent(name + ".f32"))
            let values = data.withUnsafeBytes { $0.bindMemory(to: UInt32.self).map { Float(bitPattern: UInt32(littleEndian: $0)) } }
            return HostTensor(shape: shapes[name]!, values: values)
        }
        let input = DiffusionInput(x: try array("x"), timestep: Float(entry["timestep"] as! Double), context: try array("context"),
                                   vector: try array("pooled"), guidance: Float(entry["guidance"] as! Double))
        return (input, try array("velocity").values)
    }

    @Test func schemasMatchComfyUI() {
        #expect(UNETLoader.schema.inputs.map(\.name) == ["unet_name", "weight_dtype"])
        guard case .combo(let dtypes) = UNETLoader.schema.inputs[1].kind else { Issue.record("weight_dtype is not a combo"); return }
        #expect(dtypes.choices.staticChoices == ["default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"])
        #expect(ModelSamplingFlux.schema.inputs.map(\.name) == ["model", "max_shift", "base_shift", "width", "height"])
        let registered = Set(NodeLibrary.nodeTypes.map { $0.schema.name })
        #expect(registered.isSuperset(of: ["UNETLoader", "UnetLoaderGGUF", "ModelSamplingFlux"]))
    }

    @Test func listingsFollowComfyUIFolders() throws {
        let models = try Models()
        defer { models.temporary.remove() }
        let catalog = try #require(models.resources.get((any FileCatalog).self))
        #expect(catalog.files(in: "diffusion_models")
            == ["ae.safetensors", "flux-dev-Q8_0.gguf", "flux-dev.safetensors", "schnell/flux-schnell.safetensors"])
        #expect(catalog.files(in: "unet_gguf") == ["flux-dev-Q8_0.gguf"])
    }

    @Test func unetLoaderGivesAFluxDevModel() async throws {
        let models = try Models()
        defer { models.temporary.remove() }
        let result = try await Self.run(UNETLoader.self, ["unet_name": "flux-dev.safetensors", "weight_dtype": "default"],
                                        resources: models.resources)
        let model = try #require(result.outputs[0] as? DiffusionModel)
        #expect((model.modelSampling as? FluxModelSampling)?.shift == FluxModelSampling.defaultShift)
        #expect(model.latentFormat == .flux)
        #expect(model.network.usesGuidance && model.network.concatChannels == 0 && model.network.latentChannels == 16)
        let (input, expected) = try Self.goldenCase("dev")
        let velocity = try await model.network.prediction(for: input)
        #expect(nmse(velocity.values, reference: expected) <= 5e-4)
    }

    @Test func fp8WeightTypeCastsTheMatricesAsComfyUIDoes() async throws {
        let models = try Models()
        defer { models.temporary.remove() }
        let result = try await Self.run(UNETLoader.self, ["unet_name": "flux-dev.safetensors", "weight_dtype": "fp8_e4m3fn"],
                                        resources: models.resources)
        let model = try #require(result.outputs[0] as? DiffusionModel)
        let (input, castExpected) = try Self.goldenCase("dev-fp8-cast")
        let velocity = try await model.network.prediction(for: input).values
        #expect(nmse(velocity, reference: castExpected) <= 5e-4)
        // The cast is real: bf16 weights give a measurably different velocity.
        #expect(nmse(velocity, reference: try Self.goldenCase("dev").1) > 1e-5)
        #expect(UNETLoader.validate(NodeInputs(["weight_dtype": "fp8_e5m2"]), resources: models.resources)?.contains("fp8_e5m2") == true)
    }

    @Test func schnellSamplesWithDiscreteFlow() async throws {
        let models = try Models()
        defer { models.temporary.remove() }
        let result = try await Self.run(UNETLoader.self, ["unet_name": "schnell/flux-schnell.safetensors", "weight_dtype": "default"],
                                        resources: models.resources)
        let model = try #require(result.outputs[0] as? DiffusionModel)
        let sampling = try #require(model.modelSampling as? DiscreteFlowModelSampling)
        #expect(sampling.shift == 1 && sampling.multiplier == 1)
        #expect(!model.network.usesGuidance)
    }

    @Test func ggufLoaderReadsQuantisedFiles() async throws {
        let models = try Models()
        defer { models.temporary.remove() }
        let result = try await Self.run(UnetLoaderGGUF.self, ["unet_name": "flux-dev-Q8_0.gguf"], resources: models.resources)
        let model = try #require(result.outputs[0] as? DiffusionModel)
        let (input, expected) = try Self.goldenCase("dev-q8_0")
        #expect(nmse(try await model.network.prediction(for: input).values, reference: expected) <= 5e-4)
    }

    @Test func wrongFilesNameTheInputAndWhatWasFound() async throws {
        let models = try Models()
        defer { models.temporary.remove() }
        let vae = await #expect(throws: NodeError.self) {
            try await Self.run(UNETLoader.self, ["unet_name": "ae.safetensors", "weight_dtype": "default"], resources: models.resources)
        }
        #expect(vae?.message.contains("unet_name") == true)
        #expect(vae?.message.contains("AutoencoderKL") == true)
        let notGGUF = await #expect(throws: NodeError.self) {
            try await Self.run(UnetLoaderGGUF.self, ["unet_name": "flux-dev.safetensors"], resources: models.resources)
        }
        #expect(notGGUF?.message.contains("not GGUF") == true)
    }

    @Test func modelSamplingFluxShiftsWithImageSize() async throws {
        let base = DiffusionModel(family: .flux, network: StubNetwork(), modelSampling: FluxModelSampling(), latentFormat: .flux)
        let values: [String: NodeValue] = ["model": base, "max_shift": 1.15, "base_shift": 0.5, "width": 512, "height": 512]
        let result = try await Self.run(ModelSamplingFlux.self, values, resources: Resources())
        let shift = try #require((result.outputs[0] as? DiffusionModel)?.modelSampling as? FluxModelSampling).shift
        // 1024 patches of 16²: 0.5 + (1024 − 256)·(1.15 − 0.5)/(4096 − 256).
        #expect(abs(shift - 0.63) < 1e-9)
    }
}

/// A network that is never evaluated, for nodes that only patch the model's settings.
private struct StubNetwork: DiffusionNetwork {
    var latentChannels: Int { 16 }
    var concatChannels: Int { 0 }
    var usesGuidance: Bool { true }
    func prediction(for input: DiffusionInput) async throws -> HostTensor { input.x }
}

import Foundation
import LoomGraph
import LoomImaging
import LoomModelFiles
@testable import LoomModels
@testable import LoomNodes
import LoomSampling
import Testing

/// ControlNetLoader → SetUnionControlNetType → ControlNetApplyAdvanced → KSampler on the models `graphs/models` holds,
/// against ComfyUI's own nodes on the same files (`scripts/fixtures/make_controlnet_golden.py`), and the nodes' checks.
@Suite struct ControlNetNodeTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let golden: ModelFile = {
        do { return try ModelFile.open(path: repository.appendingPathComponent("Tests/Fixtures/golden/controlnet/golden.safetensors").path) } catch { fatalError("\(error)") }
    }()
    static let controlNetName = "FLUX.1-dev-Controlnet-Union.safetensors"

    static func tensor(_ name: String) -> HostTensor {
        guard let stored = golden[name] else { fatalError("golden.safetensors has no \(name)") }
        return HostTensor(shape: stored.shape, values: stored.floats())
    }

    static func image(_ name: String) -> Image {
        let t = tensor(name)
        return Image(batchCount: t.shape[0], height: t.shape[1], width: t.shape[2], channels: t.shape[3], pixels: t.values)
    }

    static func resources(modelsRoot: String = repository.appendingPathComponent("graphs/models").path) -> Resources {
        let resources = Resources()
        FolderPaths(base: repository.path, models: ModelDirectories(modelsRoot: modelsRoot)).register(in: resources)
        return resources
    }

    static func run<N: Node>(_ type: N.Type, _ values: [String: NodeValue], resources: Resources) async throws -> [NodeValue] {
        try await N().execute(NodeInputs(values, nodeID: "1", classType: N.schema.name),
                              context: NodeContext(nodeID: "1", promptID: "p", resources: resources, progress: { _, _ in })).outputs
    }

    static func conditioning(_ context: String) -> Conditioning {
        Conditioning([Conditioning.Entry(crossAttention: tensor(context), pooledOutput: tensor("sample.pooled"), guidance: 3.5)])
    }

    /// The loaded models and ControlNets typed openpose and depth, shared by the sampling tests.
    struct Models {
        let resources = ControlNetNodeTests.resources()
        let model: NodeValue
        let vae: NodeValue
        let openpose: NodeValue
        let depth: NodeValue

        init() async throws {
            model = try await run(UNETLoader.self, ["unet_name": "flux1-dev.safetensors", "weight_dtype": "default"], resources: resources)[0]
            vae = try await run(VAELoader.self, ["vae_name": "ae.safetensors"], resources: resources)[0]
            let controlNet = try await run(ControlNetLoader.self, ["control_net_name": controlNetName], resources: resources)[0]
            openpose = try await run(SetUnionControlNetType.self, ["control_net": controlNet, "type": "openpose"], resources: resources)[0]
            depth = try await run(SetUnionControlNetType.self, ["control_net": controlNet, "type": "depth"], resources: resources)[0]
        }

        func apply(_ positive: NodeValue, _ negative: NodeValue, _ controlNet: NodeValue, hint: String, strength: Double,
                   start: Double = 0, end: Double = 1) async throws -> [NodeValue] {
            try await run(ControlNetApplyAdvanced.self, [
                "positive": positive, "negative": negative, "control_net": controlNet, "image": image(hint),
                "strength": strength, "start_percent": start, "end_percent": end, "vae": vae,
            ], resources: resources)
        }

        func sample(_ positive: NodeValue, _ negative: NodeValue, steps: Int, cfg: Double, seed: Int = 42) async throws -> HostTensor {
            let latent = Latent(samples: HostTensor(zeros: [1, 16, 6, 8]))
            let output = try await run(KSampler.self, [
                "model": model, "seed": seed, "steps": steps, "cfg": cfg, "sampler_name": "euler", "scheduler": "simple",
                "positive": positive, "negative": negative, "latent_image": latent, "denoise": 1.0,
            ], resources: resources)
            return try #require(output[0] as? Latent).samples
        }
    }

    /// The run matches ComfyUI's, and so does what the ControlNets changed: the difference to the same run without
    /// them (`baseline`), which is a fraction of the latent, is held to the same NMSE.
    static func expectGolden(_ name: String, _ samples: HostTensor, baseline: (name: String, samples: HostTensor)) {
        let expected = tensor(name)
        #expect(samples.shape == expected.shape)
        let error = nmse(samples.values, reference: expected.values)
        #expect(error <= 5e-4, "\(name): NMSE \(error)")
        let change = zip(samples.values, baseline.samples.values).map { $0 - $1 }
        let expectedChange = zip(expected.values, tensor(baseline.name).values).map { $0 - $1 }
        let changeError = nmse(change, reference: expectedChange)
        #expect(changeError <= 5e-4, "\(name): NMSE of the ControlNets' change \(changeError)")
    }

    @Test func schemasMatchComfyUI() {
        #expect(ControlNetLoader.schema.inputs.map(\.name) == ["control_net_name"])
        #expect(DiffControlNetLoader.schema.inputs.map(\.name) == ["model", "control_net_name"])
        let advanced = ControlNetApplyAdvanced.schema
        #expect(advanced.inputs.map(\.name) == ["positive", "negative", "control_net", "image", "strength", "start_percent", "end_percent", "vae"])
        #expect(advanced.input(named: "vae")?.section == .optional)
        #expect(advanced.outputs.map(\.name) == ["positive", "negative"])
        guard case .float(let strength) = advanced.input(named: "strength")?.kind,
              case .float(let end) = advanced.input(named: "end_percent")?.kind else { Issue.record("not floats"); return }
        #expect((strength.defaultValue, strength.min, strength.max, strength.step) == (1, 0, 10, 0.01))
        #expect((end.defaultValue, end.min, end.max, end.step) == (1, 0, 1, 0.001))
        #expect(ControlNetApply.schema.inputs.map(\.name) == ["conditioning", "control_net", "image", "strength"])
        #expect(ControlNetApply.schema.isDeprecated)
        guard case .combo(let types) = SetUnionControlNetType.schema.input(named: "type")?.kind else { Issue.record("type is not a combo"); return }
        #expect(types.choices.staticChoices == ["auto", "openpose", "depth", "hed/pidi/scribble/ted", "canny/lineart/anime_lineart/mlsd",
                                                "normal", "segment", "tile", "repaint"])
        let registered = Set(NodeLibrary.nodeTypes.map { $0.schema.name })
        #expect(registered.isSuperset(of: ["ControlNetLoader", "DiffControlNetLoader", "ControlNetApplyAdvanced", "ControlNetApply",
                                           "SetUnionControlNetType"]))
    }

    @Test func unionTypeIndicesAreComfyUIs() async throws {
        let resources = Self.resources()
        let controlNet = try await Self.run(ControlNetLoader.self, ["control_net_name": Self.controlNetName], resources: resources)[0]
        #expect((controlNet as? ControlNet)?.controlType == [])
        for (type, expected) in [("openpose", [0]), ("normal", [4]), ("repaint", [7]), ("auto", [])] {
            let typed = try await Self.run(SetUnionControlNetType.self, ["control_net": controlNet, "type": type], resources: resources)[0]
            #expect((typed as? ControlNet)?.controlType == expected, "\(type)")
        }
    }

    /// DashTailor's pose ControlNet: type openpose, strength 0.8 over the whole run.
    @Test func poseControlNetSamplesAsComfyUI() async throws {
        let models = try await Models()
        let applied = try await models.apply(Self.conditioning("sample.context"), Self.conditioning("sample.negative_context"), models.openpose,
                                             hint: "hint.image", strength: 0.8)
        let none = try await models.sample(Self.conditioning("sample.context"), Self.conditioning("sample.negative_context"), steps: 4, cfg: 1)
        #expect(nmse(none.values, reference: Self.tensor("sample.none").values) <= 5e-4)
        Self.expectGolden("sample.pose", try await models.sample(applied[0], applied[1], steps: 4, cfg: 1), baseline: ("sample.none", none))
    }

    /// Two chained ControlNets, the first only from 30 % to 70 % of the run.
    @Test func chainedControlNetsWithAStepRangeSampleAsComfyUI() async throws {
        let models = try await Models()
        let first = try await models.apply(Self.conditioning("sample.context"), Self.conditioning("sample.negative_context"), models.openpose,
                                           hint: "hint.image", strength: 0.8, start: 0.3, end: 0.7)
        let second = try await models.apply(first[0], first[1], models.depth, hint: "sample.second_hint", strength: 0.5)
        #expect((second[0] as? Conditioning)?.entries.first?.control?.links.count == 2)
        let none = try await models.sample(Self.conditioning("sample.context"), Self.conditioning("sample.negative_context"), steps: 5, cfg: 1)
        Self.expectGolden("sample.chain", try await models.sample(second[0], second[1], steps: 5, cfg: 1), baseline: ("sample.none-5", none))
    }

    /// With CFG the negative prompt runs the ControlNet with its own text.
    @Test func negativePromptRunsItsControlNetUnderCFG() async throws {
        let models = try await Models()
        let applied = try await models.apply(Self.conditioning("sample.context"), Self.conditioning("sample.negative_context"), models.openpose,
                                             hint: "hint.image", strength: 0.7)
        let none = try await models.sample(Self.conditioning("sample.context"), Self.conditioning("sample.negative_context"), steps: 3, cfg: 2.5,
                                           seed: 5)
        Self.expectGolden("sample.cfg", try await models.sample(applied[0], applied[1], steps: 3, cfg: 2.5, seed: 5),
                          baseline: ("sample.none-cfg", none))
    }

    /// BFL's Flux Canny / Depth dev layout: InstructPixToPixConditioning's control latent as 16 more input channels.
    @Test func instructPixToPixConditioningSamplesAsComfyUI() async throws {
        let models = try await Models()
        let canny = try await Self.run(UNETLoader.self, ["unet_name": "flux1-canny-dev.safetensors", "weight_dtype": "default"],
                                       resources: models.resources)[0]
        func conditioning(_ context: String) -> Conditioning {
            Conditioning([Conditioning.Entry(crossAttention: Self.tensor(context), pooledOutput: Self.tensor("sample.pooled"), guidance: 30)])
        }
        let outputs = try await Self.run(InstructPixToPixConditioning.self, [
            "positive": conditioning("sample.context"), "negative": conditioning("sample.negative_context"), "vae": models.vae,
            "pixels": Self.image("ip2p.pixels"),
        ], resources: models.resources)
        // The 50 × 70 picture is cut to 48 × 64 about its centre before encoding; the latent to sample is zeros.
        let concat = try #require((outputs[0] as? Conditioning)?.entries.first?.concatLatentImage)
        #expect(nmse(concat.values, reference: Self.tensor("ip2p.concat").values) <= 5e-4)
        #expect((outputs[1] as? Conditioning)?.entries.first?.concatLatentImage?.values == concat.values)
        let latent = try #require(outputs[2] as? Latent)
        #expect(latent.samples.shape == [1, 16, 6, 8] && latent.samples.values.allSatisfy { $0 == 0 })

        func sample(_ positive: NodeValue, _ negative: NodeValue) async throws -> HostTensor {
            let output = try await Self.run(KSampler.self, [
                "model": canny, "seed": 3, "steps": 4, "cfg": 1.0, "sampler_name": "euler", "scheduler": "simple",
                "positive": positive, "negative": negative, "latent_image": latent, "denoise": 1.0,
            ], resources: models.resources)
            return try #require(output[0] as? Latent).samples
        }
        // Without the control latent ComfyUI feeds the model a zero latent in model space.
        let none = try await sample(conditioning("sample.context"), conditioning("sample.negative_context"))
        Self.expectGolden("ip2p.sample", try await sample(outputs[0], outputs[1]), baseline: ("ip2p.none", none))
    }

    /// A classic SD1.5 ControlNet (LDM layout, pixel hint, no VAE) steering both prompts of a cfg 3 run from 10 % to 60 %.
    @Test func sd15ControlNetSamplesAsComfyUI() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let root = temporary.folders.base + "/models"
        let golden = Self.repository.appendingPathComponent("Tests/Fixtures/golden/controlnet")
        for (link, file) in [("diffusion_models/sd15-unet.safetensors", "sd15-unet-small-f16.safetensors"),
                             ("controlnet/control_v11p_sd15_openpose.safetensors", "sd15-controlnet-small-f16.safetensors")] {
            let path = root + "/" + link
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: golden.appendingPathComponent(file).path)
        }
        let resources = Self.resources(modelsRoot: root)
        let model = try await Self.run(UNETLoader.self, ["unet_name": "sd15-unet.safetensors", "weight_dtype": "default"], resources: resources)[0]
        let controlNet = try await Self.run(ControlNetLoader.self, ["control_net_name": "control_v11p_sd15_openpose.safetensors"],
                                            resources: resources)[0]
        #expect((controlNet as? ControlNet)?.family == "SD1.5" && (controlNet as? ControlNet)?.needsVAE == false)
        let positive = Conditioning([Conditioning.Entry(crossAttention: Self.tensor("sd.context"))])
        let negative = Conditioning([Conditioning.Entry(crossAttention: Self.tensor("sd.negative_context"))])
        let applied = try await Self.run(ControlNetApplyAdvanced.self, [
            "positive": positive, "negative": negative, "control_net": controlNet, "image": Self.image("hint.image"),
            "strength": 0.9, "start_percent": 0.1, "end_percent": 0.6,
        ], resources: resources)
        func sample(_ positive: NodeValue, _ negative: NodeValue) async throws -> HostTensor {
            let output = try await Self.run(KSampler.self, [
                "model": model, "seed": 11, "steps": 4, "cfg": 3.0, "sampler_name": "euler", "scheduler": "simple",
                "positive": positive, "negative": negative, "latent_image": Latent(samples: HostTensor(zeros: [1, 4, 6, 8])), "denoise": 1.0,
            ], resources: resources)
            return try #require(output[0] as? Latent).samples
        }
        let none = try await sample(positive, negative)
        Self.expectGolden("sd.sample", try await sample(applied[0], applied[1]), baseline: ("sd.sample.none", none))
    }

    @Test func missingVAEIsNamed() async throws {
        let models = try await Models()
        let positive = Self.conditioning("sample.context")
        await #expect {
            try await Self.run(ControlNetApplyAdvanced.self, [
                "positive": positive, "negative": positive, "control_net": models.openpose, "image": Self.image("hint.image"),
                "strength": 0.8, "start_percent": 0.0, "end_percent": 1.0,
            ], resources: models.resources)
        } throws: { "\($0)".contains("ControlNetApplyAdvanced") && "\($0)".contains("vae:") }
        // The older node has no VAE input, so it cannot run a Flux ControlNet (ComfyUI fails when sampling).
        await #expect {
            try await Self.run(ControlNetApply.self, ["conditioning": positive, "control_net": models.openpose, "image": Self.image("hint.image"),
                                                      "strength": 0.8], resources: models.resources)
        } throws: { "\($0)".contains("ControlNetApplyAdvanced") && "\($0)".contains("VAE") }
    }

    @Test func strengthZeroLeavesTheConditioningAlone() async throws {
        let models = try await Models()
        let outputs = try await Self.run(ControlNetApplyAdvanced.self, [
            "positive": Self.conditioning("sample.context"), "negative": Self.conditioning("sample.negative_context"),
            "control_net": models.openpose, "image": Self.image("hint.image"), "strength": 0.0, "start_percent": 0.0, "end_percent": 1.0,
        ], resources: models.resources)
        #expect(outputs.allSatisfy { ($0 as? Conditioning)?.entries.allSatisfy { $0.control == nil } == true })
    }

    @Test func controlNetForAnotherFamilyIsRefusedNamingBoth() async throws {
        let models = try await Models()
        let checkpoint = try await Self.run(CheckpointLoaderSimple.self, ["ckpt_name": "v1-5-pruned-emaonly.safetensors"], resources: models.resources)
        let sdContext = Conditioning([Conditioning.Entry(crossAttention: HostTensor(zeros: [1, 77, 32]))])
        let applied = try await models.apply(sdContext, sdContext, models.openpose, hint: "hint.image", strength: 0.8)
        let latent = Latent(samples: HostTensor(zeros: [1, 4, 6, 8]))
        await #expect {
            try await Self.run(KSampler.self, [
                "model": checkpoint[0], "seed": 1, "steps": 1, "cfg": 1.0, "sampler_name": "euler", "scheduler": "simple",
                "positive": applied[0], "negative": applied[1], "latent_image": latent, "denoise": 1.0,
            ], resources: models.resources)
        } throws: { "\($0)".contains("a Flux ControlNet") && "\($0)".contains("SD1.5 model") }
    }

    @Test func loaderRefusesOtherFilesByLayout() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-controlnet-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("controlnet")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("flux1-dev.safetensors"),
                                                   withDestinationURL: Self.repository.appendingPathComponent("graphs/models/diffusion_models/flux1-dev.safetensors"))
        // Marker tensors of an XLabs Flux ControlNet and of a diffusers-format SD ControlNet, one float each.
        for (file, keys) in [("xlabs.safetensors", ["controlnet_blocks.0.weight", "double_blocks.0.img_attn.norm.key_norm.scale"]),
                             ("sdxl-diffusers.safetensors", ["controlnet_cond_embedding.conv_in.weight"])] {
            let entries = keys.enumerated().map { #""\#($1)":{"dtype":"F32","shape":[1],"data_offsets":[\#($0 * 4),\#($0 * 4 + 4)]}"# }
            let header = Data("{\(entries.joined(separator: ","))}".utf8)
            var data = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Data($0) }
            data.append(header)
            data.append(Data(count: 4 * keys.count))
            try data.write(to: folder.appendingPathComponent(file))
        }
        let resources = Self.resources(modelsRoot: root.path)
        for (file, expected) in [("flux1-dev.safetensors", "is not a ControlNet"), ("xlabs.safetensors", "XLabs Flux ControlNet"),
                                 ("sdxl-diffusers.safetensors", "diffusers-format SD1.x/SDXL ControlNet")] {
            await #expect {
                try await Self.run(ControlNetLoader.self, ["control_net_name": file], resources: resources)
            } throws: { "\($0)".contains("control_net_name") && "\($0)".contains(expected) }
        }
    }
}

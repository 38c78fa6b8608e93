import Foundation
import LoomGraph
import LoomModelFiles
import LoomModels
import LoomNodes
import LoomSampling
import Testing

/// LoraLoader and LoraLoaderModelOnly against what ComfyUI's own patching (`load_lora_for_models`) made of
/// the tiny LoRAs of Tests/Fixtures/golden/lora on the tiny SDXL, SD1.5 and Flux models
/// (scripts/fixtures/make_lora_golden.py): the same keys left unloaded, the same patched weights, the
/// same network outputs and text conditioning.
@Suite(.serialized) struct LoRATests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let golden = fixtures.appendingPathComponent("golden/lora")

    struct Case {
        let name: String
        let lora: String
        let model: String
        let loader: String
        let strengthModel: Double
        let strengthClip: Double
        let notLoaded: [String]
        let patched: [String: String]
        let output: [String: String]
        let unetCase: String?
    }

    /// The manifest's cases and arrays.
    struct Manifest {
        let cases: [String: Case]
        let arrays: [String: (file: String, shape: [Int])]
        let directory: URL

        init(directory: URL = golden) throws {
            self.directory = directory
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("manifest.json"))) as! [String: Any]
            var arrays: [String: (String, [Int])] = [:]
            for (name, entry) in json["arrays"] as! [String: [String: Any]] { arrays[name] = (entry["file"] as! String, entry["shape"] as! [Int]) }
            self.arrays = arrays
            var cases: [String: Case] = [:]
            for entry in json["cases"] as! [[String: Any]] where entry["lora"] != nil {
                let c = Case(name: entry["name"] as! String, lora: entry["lora"] as! String, model: entry["model"] as! String,
                             loader: entry["loader"] as! String, strengthModel: entry["strength_model"] as! Double,
                             strengthClip: (entry["strength_clip"] as? Double) ?? 0, notLoaded: entry["not_loaded"] as! [String],
                             patched: entry["patched"] as! [String: String], output: entry["output"] as! [String: String],
                             unetCase: entry["unet_case"] as? String)
                cases[c.name] = c
            }
            self.cases = cases
        }

        func array(_ name: String) throws -> HostTensor {
            let entry = try #require(arrays[name])
            return HostTensor(shape: entry.shape, values: try readFloats(directory.appendingPathComponent(entry.file)))
        }
    }

    /// A models root: the tiny checkpoints, the tiny Flux model, the golden LoRAs and a damaged one.
    struct Models {
        let temporary: TemporaryFolders
        let resources = Resources()
        let root: String

        init() throws {
            let temporary = try TemporaryFolders()
            root = temporary.folders.base + "/models"
            var links = [
                ("checkpoints/sdxl-tiny.safetensors", "models/sd/sdxl-tiny.safetensors"),
                ("checkpoints/sd15-tiny.safetensors", "models/sd/sd15-tiny.safetensors"),
                ("diffusion_models/flux-dev.safetensors", "golden/flux/flux-dev-golden-bf16.safetensors"),
            ]
            for name in ["sdxl-kohya", "sdxl-lycoris", "sd15-diffusers", "flux-diffusers", "flux-bfl"] {
                links.append(("loras/\(name).safetensors", "golden/lora/\(name).safetensors"))
            }
            links += [
                ("diffusion_models/flux-fill.safetensors", "golden/flux/flux-fill-golden-bf16.safetensors"),
                ("diffusion_models/flux-schnell.safetensors", "golden/flux/flux-schnell-golden-bf16.safetensors"),
                ("loras/flux-depth-lora.safetensors", "golden/control-lora/flux-depth-lora.safetensors"),
                ("loras/flux-fill-lora.safetensors", "golden/control-lora/flux-fill-lora.safetensors"),
                ("loras/flux-te-lora.safetensors", "golden/control-lora/flux-te-lora.safetensors"),
                ("loras/flux-lycoris-lora.safetensors", "golden/control-lora/flux-lycoris-lora.safetensors"),
                ("diffusion_models/flux1-dev.safetensors", "../../graphs/models/diffusion_models/flux1-dev.safetensors"),
                ("text_encoders/clip_l.safetensors", "../../graphs/models/text_encoders/clip_l.safetensors"),
                ("text_encoders/t5xxl_fp16.safetensors", "../../graphs/models/text_encoders/t5xxl_fp16.safetensors"),
            ]
            for (name, target) in links {
                let path = root + "/" + name
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: fixtures.appendingPathComponent(target).path)
            }
            try Data("not a safetensors file at all".utf8).write(to: URL(fileURLWithPath: root + "/loras/broken.safetensors"))
            var folders = temporary.folders
            folders.models = ModelDirectories(modelsRoot: root)
            folders.register(in: resources)
            self.temporary = temporary
        }

        func run<N: Node>(_ type: N.Type, _ values: [String: NodeValue]) async throws -> NodeResult {
            try await N().execute(NodeInputs(values, nodeID: "1", classType: N.schema.name),
                                  context: NodeContext(nodeID: "1", promptID: "p", resources: resources))
        }

        func checkpoint(_ name: String) async throws -> (DiffusionModel, TextEncoder) {
            let loaded = try await run(CheckpointLoaderSimple.self, ["ckpt_name": name])
            return (loaded.outputs[0] as! DiffusionModel, loaded.outputs[1] as! TextEncoder)
        }

        func flux(_ name: String = "flux-dev.safetensors") async throws -> DiffusionModel {
            try await run(UNETLoader.self, ["unet_name": name, "weight_dtype": "default"]).outputs[0] as! DiffusionModel
        }

        func lora(_ name: String, model: DiffusionModel, clip: TextEncoder, strengthModel: Double, strengthClip: Double)
            async throws -> (DiffusionModel, TextEncoder, [String]) {
            let result = try await run(LoraLoader.self, ["model": model, "clip": clip, "lora_name": name,
                                                         "strength_model": strengthModel, "strength_clip": strengthClip])
            return (result.outputs[0] as! DiffusionModel, result.outputs[1] as! TextEncoder, LoRATests.notLoaded(result))
        }

        func lora(_ name: String, model: DiffusionModel, strength: Double) async throws -> (DiffusionModel, [String]) {
            let result = try await run(LoraLoaderModelOnly.self, ["model": model, "lora_name": name, "strength_model": strength])
            return (result.outputs[0] as! DiffusionModel, LoRATests.notLoaded(result))
        }
    }

    /// The keys of the node's "lora key not loaded" lines.
    static func notLoaded(_ result: NodeResult) -> [String] {
        let text = result.ui?["text"]?.arrayValue?.first?.stringValue ?? ""
        return text.split(separator: "\n").compactMap { line in
            line.hasPrefix("lora key not loaded: ") ? String(line.dropFirst("lora key not loaded: ".count)) : nil
        }.sorted()
    }

    /// A patched weight as the model's weights place it, by its ComfyUI name.
    static func patchedWeight(_ name: String, model: DiffusionModel, clip: TextEncoder?) throws -> [Float] {
        let context = try ComputeDevice.processDefault.context()
        if name.hasPrefix("diffusion_model.") {
            let source = try #require(model.source)
            return try ModelWeights(file: source.file, context: context, patches: source.patches)
                .floats(source.model.prefix + name.dropFirst("diffusion_model.".count))
        }
        let kinds: [(String, TextEncoderKind)] = [("clip_l.transformer.", .clipL), ("clip_g.transformer.", .clipG), ("t5xxl.transformer.", .t5xxl)]
        let (prefix, kind) = try #require(kinds.first { name.hasPrefix($0.0) })
        let weights = try #require(clip?.source?.weights[kind])
        return try ModelWeights(file: weights.file, context: context, patches: weights.patches).floats(weights.prefix + name.dropFirst(prefix.count))
    }

    /// The SD UNet's prediction for both samples of a golden/unet case, concatenated as the batch ComfyUI ran.
    static func unetOutput(_ model: DiffusionModel, unetCase: String) async throws -> [Float] {
        let directory = fixtures.appendingPathComponent("golden/unet")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("manifest.json"))) as! [String: Any]
        let arrays = json["arrays"] as! [String: [String: Any]]
        let entry = try #require((json["cases"] as! [[String: Any]]).first { $0["name"] as? String == unetCase })
        func array(_ key: String) throws -> HostTensor? {
            guard let name = entry[key] as? String, let found = arrays[name] else { return nil }
            return HostTensor(shape: found["shape"] as! [Int], values: try readFloats(directory.appendingPathComponent(found["file"] as! String)))
        }
        let x = try #require(try array("x")), context = try #require(try array("context"))
        let y = try array("y")
        let timesteps = (entry["timesteps"] as! [Double]).map(Float.init)
        var output: [Float] = []
        for sample in 0..<x.shape[0] {
            let input = DiffusionInput(x: x.row(sample), timestep: timesteps[sample], context: context.row(sample), vector: y?.row(sample))
            output += try await model.network.prediction(for: input).values
        }
        return output
    }

    static func fluxVelocity(_ model: DiffusionModel, goldenCase: String = "dev", concat: HostTensor? = nil) async throws -> [Float] {
        var input = try FluxLoaderTests.goldenCase(goldenCase).0
        input.concat = concat
        return try await model.network.prediction(for: input).values
    }

    /// Everything recorded for one case: unloaded keys, patched weights, outputs.
    static func check(_ c: Case, model: DiffusionModel, clip: TextEncoder?, notLoaded: [String], manifest: Manifest,
                      fluxCase: String = "dev", concat: HostTensor? = nil) async throws {
        #expect(notLoaded == c.notLoaded.sorted(), "\(c.name): keys not loaded")
        for (name, array) in c.patched {
            let expected = try manifest.array(array).values
            let error = nmse(try patchedWeight(name, model: model, clip: clip), reference: expected)
            #expect(error <= 5e-4, "\(c.name) \(name): NMSE \(error)")
        }
        if let unet = c.output["unet"], let unetCase = c.unetCase {
            let error = nmse(try await unetOutput(model, unetCase: unetCase), reference: try manifest.array(unet).values)
            #expect(error <= 5e-4, "\(c.name) UNet output NMSE \(error)")
            print("\(c.name) UNet output NMSE \(error)")
        }
        if let velocity = c.output["velocity"] {
            let error = nmse(try await fluxVelocity(model, goldenCase: fluxCase, concat: concat), reference: try manifest.array(velocity).values)
            #expect(error <= 5e-4, "\(c.name) Flux velocity NMSE \(error)")
            print("\(c.name) Flux velocity NMSE \(error)")
        }
        if let cond = c.output["cond"], let pooled = c.output["pooled"], let clip {
            let encoded = try #require(try clip.encode("a photo of a cat").entries.first)
            let condError = nmse(encoded.crossAttention.values, reference: try manifest.array(cond).values)
            let pooledError = nmse(try #require(encoded.pooledOutput).values, reference: try manifest.array(pooled).values)
            #expect(condError <= 5e-4 && pooledError <= 5e-4, "\(c.name) CLIP cond NMSE \(condError), pooled \(pooledError)")
            print("\(c.name) CLIP cond NMSE \(condError), pooled \(pooledError)")
        }
    }

    @Test func schemasMatchComfyUI() throws {
        #expect(LoraLoader.schema.inputs.map(\.name) == ["model", "clip", "lora_name", "strength_model", "strength_clip"])
        #expect(LoraLoader.schema.outputs.map(\.type) == ["MODEL", "CLIP"])
        #expect(LoraLoaderModelOnly.schema.inputs.map(\.name) == ["model", "lora_name", "strength_model"])
        #expect(LoraLoaderModelOnly.schema.outputs.map(\.type) == ["MODEL"])
        for input in LoraLoader.schema.inputs.dropFirst(3) + LoraLoaderModelOnly.schema.inputs.dropFirst(2) {
            guard case .float(let options) = input.kind else { Issue.record("\(input.name) is not a FLOAT"); continue }
            #expect(options.defaultValue == 1.0 && options.min == -100 && options.max == 100 && options.step == 0.01, "\(input.name)")
        }
        let models = try Models()
        defer { models.temporary.remove() }
        let catalog = try #require(models.resources.get((any FileCatalog).self))
        #expect(catalog.files(in: "loras").contains("sdxl-kohya.safetensors"))
    }

    @Test func stableDiffusionLoRAsMatchComfyUI() async throws {
        let manifest = try Manifest()
        let models = try Models()
        defer { models.temporary.remove() }
        for name in ["sdxl-kohya", "sdxl-lycoris", "sd15-diffusers"] {
            let c = try #require(manifest.cases[name])
            let (model, clip) = try await models.checkpoint((c.model as NSString).lastPathComponent)
            let (patched, patchedClip, notLoaded) = try await models.lora(c.lora, model: model, clip: clip, strengthModel: c.strengthModel,
                                                                          strengthClip: c.strengthClip)
            try await Self.check(c, model: patched, clip: patchedClip, notLoaded: notLoaded, manifest: manifest)
        }
    }

    @Test func fluxLoRAsMatchComfyUI() async throws {
        let manifest = try Manifest()
        let models = try Models()
        defer { models.temporary.remove() }
        let flux = try await models.flux()
        for name in ["flux-diffusers", "flux-bfl"] {
            let c = try #require(manifest.cases[name])
            let (patched, notLoaded) = try await models.lora(c.lora, model: flux, strength: c.strengthModel)
            try await Self.check(c, model: patched, clip: nil, notLoaded: notLoaded, manifest: manifest)
        }
        // The base model is untouched by the patched copies made from it.
        let (_, velocity) = try FluxLoaderTests.goldenCase("dev")
        #expect(nmse(try await Self.fluxVelocity(flux), reference: velocity) <= 5e-4)
    }

    /// BFL's Flux Depth / Canny LoRA layout: renamed as ComfyUI's convert_lora does, img_in padded to twice its
    /// inputs, norm scales replaced; the patched Flux then takes a control latent as 16 more input channels.
    @Test func bflControlLoRAWidensFluxAsComfyUIDoes() async throws {
        let manifest = try Manifest(directory: Self.fixtures.appendingPathComponent("golden/control-lora"))
        let models = try Models()
        defer { models.temporary.remove() }
        let flux = try await models.flux()
        #expect(flux.network.concatChannels == 0)
        let c = try #require(manifest.cases["flux-depth-lora"])
        let (patched, notLoaded) = try await models.lora(c.lora, model: flux, strength: c.strengthModel)
        #expect(patched.network.concatChannels == 16)
        #expect(try patched.source.map { try Self.patchedWeightShape("diffusion_model.img_in.weight", source: $0) } == [32, 128])
        try await Self.check(c, model: patched, clip: nil, notLoaded: notLoaded, manifest: manifest,
                             concat: try manifest.array("flux-depth-lora.concat"))
        // The base model keeps its 64 inputs.
        let (_, velocity) = try FluxLoaderTests.goldenCase("dev")
        #expect(nmse(try await Self.fluxVelocity(flux), reference: velocity) <= 5e-4)
    }

    /// OneReward's object-removal LoRA is a plain LoRA on Flux Fill (kohya names, Fill's 384-wide img_in).
    @Test func fillLoRAMatchesComfyUI() async throws {
        let manifest = try Manifest(directory: Self.fixtures.appendingPathComponent("golden/control-lora"))
        let models = try Models()
        defer { models.temporary.remove() }
        let fill = try await models.flux("flux-fill.safetensors")
        let c = try #require(manifest.cases["flux-fill-lora"])
        let (patched, notLoaded) = try await models.lora(c.lora, model: fill, strength: c.strengthModel)
        let directory = Self.fixtures.appendingPathComponent("golden/flux")
        let concat = HostTensor(shape: [1, 80, 6, 6], values: try readFloats(directory.appendingPathComponent("fill.concat.f32")))
        try await Self.check(c, model: patched, clip: nil, notLoaded: notLoaded, manifest: manifest, fluxCase: "fill", concat: concat)
    }

    /// CLIP-L and T5 LoRA names on Flux's DualCLIPLoader CLIP (kohya's `lora_te3_` and OneTrainer's `lora_te2_` T5
    /// names, `text_encoders.` names) against ComfyUI's model_lora_keys_clip and calculate_weight.
    @Test func fluxTextEncoderLoRAMatchesComfyUI() async throws {
        let manifest = try Manifest(directory: Self.fixtures.appendingPathComponent("golden/control-lora"))
        let models = try Models()
        defer { models.temporary.remove() }
        let c = try #require(manifest.cases["flux-te-lora"])
        let flux = try await models.flux("flux1-dev.safetensors")
        let clip = try await models.run(DualCLIPLoader.self, ["clip_name1": "clip_l.safetensors", "clip_name2": "t5xxl_fp16.safetensors",
                                                              "type": "flux"]).outputs[0] as! TextEncoder
        let result = try await models.run(LoraLoader.self, ["model": flux, "clip": clip, "lora_name": c.lora,
                                                            "strength_model": c.strengthModel, "strength_clip": c.strengthClip])
        let patchedClip = result.outputs[1] as! TextEncoder
        #expect((result.ui?["text"]?.arrayValue?.first?.stringValue ?? "").contains("NOT LOADED") == false)
        try await Self.check(c, model: result.outputs[0] as! DiffusionModel, clip: patchedClip, notLoaded: Self.notLoaded(result),
                             manifest: manifest)
        // The patched T5 and CLIP-L change the prompt's conditioning.
        let before = try clip.encode("a photo of a cat").entries[0].crossAttention.values
        let after = try patchedClip.encode("a photo of a cat").entries[0].crossAttention.values
        #expect(nmse(after, reference: before) > 1e-4)
    }

    /// Three LoRAs chained on Flux (diffusers/PEFT names, LyCORIS LoHa + LoKr, kohya names with text-encoder keys
    /// LoraLoaderModelOnly leaves unloaded), as graphs/flux-lora-stack chains them, against ComfyUI's chain.
    @Test func threeStackedLoRAsMatchComfyUI() async throws {
        let directory = Self.fixtures.appendingPathComponent("golden/control-lora")
        let manifest = try Manifest(directory: directory)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("manifest.json"))) as! [String: Any]
        let stacked = try #require((json["cases"] as! [[String: Any]]).first { $0["name"] as? String == "stacked" })
        let expectedNotLoaded = (stacked["not_loaded"] as! [[String]]).map { $0.sorted() }
        let models = try Models()
        defer { models.temporary.remove() }
        var model = try await models.flux()
        var notLoaded: [[String]] = []
        for (name, strength) in [("flux-diffusers", 0.9), ("flux-lycoris-lora", 0.8), ("flux-te-lora", -0.5)] {
            let (patched, missing) = try await models.lora(name + ".safetensors", model: model, strength: strength)
            model = patched
            notLoaded.append(missing)
        }
        #expect(notLoaded == expectedNotLoaded)
        #expect(model.source?.patches.values.contains { $0.count >= 2 } == true)
        let error = nmse(try await Self.fluxVelocity(model), reference: try manifest.array("stacked.velocity").values)
        #expect(error <= 5e-4, "stacked LoRAs: Flux velocity NMSE \(error)")
        print("three stacked LoRAs: Flux velocity NMSE \(error)")
    }

    static func patchedWeightShape(_ name: String, source: DiffusionModelSource) throws -> [Int] {
        let context = try ComputeDevice.processDefault.context()
        return try ModelWeights(file: source.file, context: context, patches: source.patches)
            .shape(of: source.model.prefix + name.dropFirst("diffusion_model.".count))
    }

    @Test func zeroStrengthsReturnTheInputsAndChainsAccumulate() async throws {
        let manifest = try Manifest()
        let models = try Models()
        defer { models.temporary.remove() }
        let c = try #require(manifest.cases["sdxl-kohya"])
        let (model, clip) = try await models.checkpoint("sdxl-tiny.safetensors")
        let (same, sameClip, _) = try await models.lora(c.lora, model: model, clip: clip, strengthModel: 0, strengthClip: 0)
        #expect(same.source?.patches.isEmpty == true && sameClip.source?.weights.values.allSatisfy { $0.patches.isEmpty } == true)
        #expect(try await Self.unetOutput(same, unetCase: "sdxl") == (try await Self.unetOutput(model, unetCase: "sdxl")))

        // 0.5 then 0.3 is the single 0.8 ComfyUI applied; the CLIP half -0.6 in two steps.
        let (half, halfClip, _) = try await models.lora(c.lora, model: model, clip: clip, strengthModel: 0.5, strengthClip: -0.3)
        let (chained, chainedClip, notLoaded) = try await models.lora(c.lora, model: half, clip: halfClip, strengthModel: 0.3, strengthClip: -0.3)
        #expect(chained.source?.patches.values.allSatisfy { $0.count == 2 } == true)
        try await Self.check(c, model: chained, clip: chainedClip, notLoaded: notLoaded, manifest: manifest)

        // A model-only strength leaves the CLIP as it was.
        let (_, untouchedClip, _) = try await models.lora(c.lora, model: model, clip: clip, strengthModel: 1, strengthClip: 0)
        let base = try clip.encode("a photo of a cat").entries[0].crossAttention.values
        #expect(try untouchedClip.encode("a photo of a cat").entries[0].crossAttention.values == base)
    }

    @Test func badLoRAsAreRefusedWithMessagesNamingTheProblem() async throws {
        let models = try Models()
        defer { models.temporary.remove() }
        let flux = try await models.flux()
        // An SDXL LoRA on Flux matches nothing.
        let wrongFamily = await #expect(throws: NodeError.self) { try await models.lora("sdxl-kohya.safetensors", model: flux, strength: 1) }
        let familyMessage = String(describing: try #require(wrongFamily))
        #expect(familyMessage.contains("Flux") && familyMessage.contains("SDXL") && familyMessage.contains("sdxl-kohya.safetensors"), "\(familyMessage)")

        let corrupt = await #expect(throws: NodeError.self) { try await models.lora("broken.safetensors", model: flux, strength: 1) }
        #expect(String(describing: try #require(corrupt)).contains("broken.safetensors"))

        // A pair whose product does not fit the weight it names.
        let mismatched = models.root + "/loras/mismatched.safetensors"
        try writeSafetensors([("diffusion_model.txt_in.lora_up.weight", [3, 2]), ("diffusion_model.txt_in.lora_down.weight", [2, 5])], to: mismatched)
        let shape = await #expect(throws: NodeError.self) { try await models.lora("mismatched.safetensors", model: flux, strength: 1) }
        let shapeMessage = String(describing: try #require(shape))
        #expect(shapeMessage.contains("diffusion_model.txt_in") && shapeMessage.contains("[3, 5]") && shapeMessage.contains("[32, 32]"), "\(shapeMessage)")
    }
}

/// A safetensors file of f32 tensors filled with small values.
func writeSafetensors(_ tensors: [(String, [Int])], to path: String) throws {
    var header: [String: Any] = [:]
    var data = Data()
    for (name, shape) in tensors {
        let count = shape.reduce(1, *)
        let start = data.count
        for index in 0..<count { withUnsafeBytes(of: Float(index % 7) * 0.01) { data.append(contentsOf: $0) } }
        header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [start, data.count]]
    }
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while json.count % 8 != 0 { json.append(0x20) }
    var file = Data()
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
    file.append(json)
    file.append(data)
    try file.write(to: URL(fileURLWithPath: path))
}

/// Little-endian f32 values.
func readFloats(_ url: URL) throws -> [Float] {
    let data = try Data(contentsOf: url)
    return data.withUnsafeBytes { raw in
        (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
    }
}

extension HostTensor {
    /// Row `index` of the first dimension as a batch of one.
    func row(_ index: Int) -> HostTensor {
        let size = count / shape[0]
        return HostTensor(shape: [1] + shape.dropFirst(), values: Array(values[(index * size)..<((index + 1) * size)]))
    }
}

import Foundation
import LoomGraph
import LoomModelFiles
import LoomModels
import LoomText
import Testing
@testable import LoomNodes

/// The Flux text nodes on the `-vocab` golden models (real CLIP vocabulary, a T5 covering the fixture
/// tokenizer), checked against transformers through scripts/fixtures/make_text_encoder_golden.py.
@Suite struct TextEncoderNodeTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let golden = fixtures.appendingPathComponent("Fixtures/golden/text")
    static let clipName = "clip-l-vocab-f16.safetensors"
    static let t5Name = "t5-vocab-bf16.safetensors"

    /// A ComfyUI-style base folder whose models/text_encoders holds the two models and, unless told
    /// otherwise, the T5 tokenizer next to them.
    struct Install {
        let temporary: TemporaryFolders
        let resources = Resources()
        var base: String { temporary.folders.base }
        var textEncoders: String { base + "/models/text_encoders" }

        init(withTokenizer: Bool = true) throws {
            temporary = try TemporaryFolders()
            FolderPaths(base: temporary.folders.base, models: ModelDirectories(modelsRoot: temporary.folders.base + "/models"))
                .register(in: resources)
            try FileManager.default.createDirectory(atPath: textEncoders, withIntermediateDirectories: true)
            for name in [clipName, t5Name] {
                try FileManager.default.copyItem(atPath: golden.appendingPathComponent(name).path, toPath: textEncoders + "/" + name)
            }
            if withTokenizer {
                try FileManager.default.copyItem(
                    atPath: fixtures.appendingPathComponent("LoomTextTests/Fixtures/t5_tokenizer.json").path, toPath: textEncoders + "/tokenizer.json")
            }
        }

        func remove() { temporary.remove() }

        func context() -> NodeContext { NodeContext(nodeID: "1", promptID: "p", resources: resources) }

        func loadFlux() async throws -> TextEncoder {
            // T5 first: the loader tells the files apart by their tensors.
            let inputs = NodeInputs(["clip_name1": t5Name, "clip_name2": clipName, "type": "flux"])
            let result = try await DualCLIPLoader().execute(inputs, context: context())
            return try #require(result.outputs.first as? TextEncoder)
        }
    }

    static let goldenFile: ModelFile = {
        do { return try ModelFile.open(path: golden.appendingPathComponent("golden.safetensors").path) } catch { fatalError("\(error)") }
    }()

    static func values(_ name: String) -> [Float] { goldenFile[name]!.floats() }

    static let prompts: [(name: String, prompt: String)] = {
        struct Entry: Decodable { let name: String; let prompt: String }
        let data = try! Data(contentsOf: golden.appendingPathComponent("prompts.json"))
        return try! JSONDecoder().decode([Entry].self, from: data).map { ($0.name, $0.prompt) }
    }()

    @Test func clipTextEncodeMatchesComfyUIsFluxConditioning() async throws {
        let install = try Install()
        defer { install.remove() }
        let clip = try await install.loadFlux()
        for (name, prompt) in Self.prompts {
            let result = try await CLIPTextEncode().execute(NodeInputs(["text": prompt, "clip": clip]), context: install.context())
            let conditioning = try #require(result.outputs.first as? Conditioning)
            #expect(conditioning.entries.count == 1)
            let entry = conditioning.entries[0]
            let expected = Self.values("\(name).cross_attention")
            // T5 pads to 256 tokens and has no upper limit; d_model 16.
            #expect(entry.crossAttention.shape == [1, expected.count / 16, 16], "\(name)")
            #expect(nmse(entry.crossAttention.values, reference: expected) <= 5e-4, "\(name) tokens")
            #expect(entry.pooledOutput?.shape == [1, 8])
            #expect(nmse(entry.pooledOutput?.values ?? [], reference: Self.values("\(name).pooled")) <= 5e-4, "\(name) pooled")
            #expect(entry.guidance == nil)
        }
    }

    @Test func embeddingsAreLookedUpInTheEmbeddingsFolder() async throws {
        let install = try Install()
        defer { install.remove() }
        let clip = try await install.loadFlux()
        let missing = await #expect(throws: (any Error).self) {
            try await CLIPTextEncode().execute(NodeInputs(["clip": clip, "text": "a car, embedding:easynegative"]), context: install.context())
        }
        #expect("\(missing!)".contains("embedding:easynegative") && "\(missing!)".contains("models/embeddings"))
        // A file that is there is found, and its vectors are refused plainly rather than dropped.
        try FileManager.default.createDirectory(atPath: install.base + "/models/embeddings", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.golden.appendingPathComponent(Self.clipName).path,
                                         toPath: install.base + "/models/embeddings/easynegative.safetensors")
        let present = await #expect(throws: (any Error).self) {
            try await CLIPTextEncode().execute(NodeInputs(["clip": clip, "text": "a car, embedding:easynegative"]), context: install.context())
        }
        #expect("\(present!)".contains("textual-inversion"))
        // Without the marker the same words encode as text.
        _ = try await CLIPTextEncode().execute(NodeInputs(["clip": clip, "text": "a car, easynegative"]), context: install.context())
    }

    @Test func clipTextEncodeFluxSetsGuidanceAndEncodesEachPrompt() async throws {
        let install = try Install()
        defer { install.remove() }
        let clip = try await install.loadFlux()
        let (plain, long) = (Self.prompts[1], Self.prompts[2])
        // CLIP-L gets one prompt, T5 the other.
        let inputs = NodeInputs(["clip": clip, "clip_l": plain.prompt, "t5xxl": long.prompt, "guidance": 4.5])
        let result = try await CLIPTextEncodeFlux().execute(inputs, context: install.context())
        let entry = try #require((result.outputs.first as? Conditioning)?.entries.first)
        #expect(entry.guidance == 4.5)
        #expect(entry.crossAttention.shape == [1, 321, 16])
        #expect(nmse(entry.crossAttention.values, reference: Self.values("\(long.name).cross_attention")) <= 5e-4)
        #expect(nmse(entry.pooledOutput?.values ?? [], reference: Self.values("\(plain.name).pooled")) <= 5e-4)
    }

    @Test func fluxGuidanceAndZeroOutKeepTheOtherValues() async throws {
        let tokens = HostTensor(shape: [1, 2, 2], values: [1, 2, 3, 4])
        var entry = Conditioning.Entry(crossAttention: tokens, pooledOutput: HostTensor(shape: [1, 2], values: [5, 6]), guidance: 2)
        entry.concatMask = HostTensor(shape: [1, 1, 1, 1], values: [1])
        let conditioning = Conditioning([entry, entry])
        let context = NodeContext(nodeID: "1", promptID: "p", resources: Resources())

        let guided = try await FluxGuidance().execute(NodeInputs(["conditioning": conditioning, "guidance": 30.0]), context: context)
        let guidedEntries = try #require(guided.outputs.first as? Conditioning).entries
        #expect(guidedEntries.map(\.guidance) == [30, 30])
        #expect(guidedEntries[0].crossAttention == tokens)

        let zeroed = try await ConditioningZeroOut().execute(NodeInputs(["conditioning": conditioning]), context: context)
        let zeroEntries = try #require(zeroed.outputs.first as? Conditioning).entries
        #expect(zeroEntries.count == 2)
        #expect(zeroEntries[0].crossAttention == HostTensor(zeros: [1, 2, 2]))
        #expect(zeroEntries[0].pooledOutput == HostTensor(zeros: [1, 2]))
        #expect(zeroEntries[0].guidance == 2)
        #expect(zeroEntries[0].concatMask == entry.concatMask)
    }

    /// The golden T5 embeds 1,024 tokens: the bundled T5 v1.1 tokenizer cannot serve it.
    @Test func aT5WithAnotherVocabularyAndNoTokenizerSaysWhereToPutIt() async throws {
        let install = try Install(withTokenizer: false)
        defer { install.remove() }
        let error = await #expect(throws: T5TokenizerError.self) { try await install.loadFlux() }
        let message = error?.description ?? ""
        #expect(message.contains("1024") && message.contains("32100"))
        #expect(message.contains("put tokenizer.json"))
        #expect(message.contains(install.textEncoders))
        #expect(message.contains("comfy/text_encoders/t5_tokenizer"))
    }

    /// A ComfyUI user's models folder: t5xxl_fp16.safetensors and clip_l.safetensors, no tokenizer file
    /// anywhere. The default T5 has T5's real 32,128-token embedding; the bundled tokenizer serves it,
    /// exactly as the same vocabulary does when a user puts its spiece.model beside the model.
    @Test func aModelsFolderWithOnlyTheT5FileLoadsAndEncodes() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let textEncoders = temporary.folders.base + "/models/text_encoders"
        try FileManager.default.createDirectory(atPath: textEncoders, withIntermediateDirectories: true)
        let defaults = Self.fixtures.deletingLastPathComponent().appendingPathComponent("graphs/models/text_encoders")
        for name in ["t5xxl_fp16.safetensors", "clip_l.safetensors"] {
            try FileManager.default.copyItem(atPath: defaults.appendingPathComponent(name).resolvingSymlinksInPath().path, toPath: textEncoders + "/" + name)
        }
        let resources = Resources()
        FolderPaths(base: temporary.folders.base, models: ModelDirectories(modelsRoot: temporary.folders.base + "/models")).register(in: resources)
        let context = NodeContext(nodeID: "1", promptID: "p", resources: resources)
        func encode(_ text: String) async throws -> Conditioning.Entry {
            let inputs = NodeInputs(["clip_name1": "t5xxl_fp16.safetensors", "clip_name2": "clip_l.safetensors", "type": "flux"])
            let clip = try #require(try await DualCLIPLoader().execute(inputs, context: context).outputs.first as? TextEncoder)
            let result = try await CLIPTextEncode().execute(NodeInputs(["text": text, "clip": clip]), context: context)
            return try #require((result.outputs.first as? Conditioning)?.entries.first)
        }
        let prompt = "a photo of a cat wearing a tiny wizard hat, golden hour"
        let bundled = try await encode(prompt)
        #expect(bundled.crossAttention.shape == [1, 256, 16])
        #expect(bundled.crossAttention.values.allSatisfy { $0.isFinite })
        #expect(try await encode("a photo of a dog").crossAttention != bundled.crossAttention)

        let spiece = Self.fixtures.deletingLastPathComponent().appendingPathComponent("Sources/LoomText/Resources/t5-v1_1-spiece.model.gz")
        try Data(try Gzip.decompress([UInt8](try Data(contentsOf: spiece)))).write(to: URL(fileURLWithPath: textEncoders + "/spiece.model"))
        #expect(try await encode(prompt).crossAttention == bundled.crossAttention)
    }

    @Test func tokenizerInAComfyUIInstallIsFound() async throws {
        let install = try Install(withTokenizer: false)
        defer { install.remove() }
        let directory = install.base + "/comfy/text_encoders/t5_tokenizer"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Self.fixtures.appendingPathComponent("LoomTextTests/Fixtures/t5_tokenizer.json").path, toPath: directory + "/tokenizer.json")
        _ = try await install.loadFlux()
    }

    /// Names, order, sections and defaults as ComfyUI declares them: saved UI workflows set widgets by position.
    @Test func schemasMatchComfyUI() throws {
        func signature(_ schema: NodeSchema) -> [String] {
            schema.inputs.map { "\($0.name):\($0.typeName)\($0.section == .optional ? "?" : "")\($0.kind.defaultValue.map { "=\($0.jsonText(indent: nil))" } ?? "")" }
        }
        #expect(signature(CLIPTextEncode.schema) == ["text:STRING=\"\"", "clip:CLIP"])
        #expect(signature(CLIPTextEncodeFlux.schema) == ["clip:CLIP", "clip_l:STRING=\"\"", "t5xxl:STRING=\"\"", "guidance:FLOAT=3.5"])
        #expect(signature(FluxGuidance.schema) == ["conditioning:CONDITIONING", "guidance:FLOAT=3.5"])
        #expect(signature(ConditioningZeroOut.schema) == ["conditioning:CONDITIONING"])
        #expect(signature(CLIPSetLastLayer.schema) == ["clip:CLIP", "stop_at_clip_layer:INT=-1"])
        #expect(signature(DualCLIPLoader.schema).map { $0.prefix { $0 != "=" } } == ["clip_name1:COMBO", "clip_name2:COMBO", "type:COMBO", "device:COMBO?"])
        #expect(signature(CLIPLoader.schema).map { $0.prefix { $0 != "=" } } == ["clip_name:COMBO", "type:COMBO", "device:COMBO?"])
        #expect(DualCLIPLoader.types.contains("flux") && CLIPLoader.types.first == "stable_diffusion")
        for schema in [CLIPTextEncode.schema, CLIPTextEncodeFlux.schema, FluxGuidance.schema, ConditioningZeroOut.schema] {
            #expect(schema.outputs.map(\.type) == ["CONDITIONING"], "\(schema.name)")
        }
        #expect(DualCLIPLoader.schema.outputs.map(\.type) == ["CLIP"] && CLIPLoader.schema.outputs.map(\.type) == ["CLIP"])
        #expect(NodeLibrary.registry.schema(for: "CLIPTextEncodeFlux") != nil)
        // Encoding is deterministic: the graph cache may serve repeated prompts.
        #expect(CLIPTextEncode.isIdempotent && CLIPTextEncodeFlux.isIdempotent)
    }

    @Test func tokenizerOfADiffusersModelIsFound() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let model = temporary.folders.base + "/FLUX.1-dev"
        for folder in ["text_encoder", "text_encoder_2", "tokenizer_2"] {
            try FileManager.default.createDirectory(atPath: model + "/" + folder, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: Self.golden.appendingPathComponent(Self.clipName).path, toPath: model + "/text_encoder/model.safetensors")
        try FileManager.default.copyItem(atPath: Self.golden.appendingPathComponent(Self.t5Name).path, toPath: model + "/text_encoder_2/model.safetensors")
        try FileManager.default.copyItem(
            atPath: Self.fixtures.appendingPathComponent("LoomTextTests/Fixtures/t5_tokenizer.json").path, toPath: model + "/tokenizer_2/tokenizer.json")
        var directories = ModelDirectories()
        directories.add(directory: model, for: "text_encoders")
        let resources = Resources()
        FolderPaths(base: temporary.folders.base, models: directories).register(in: resources)
        let inputs = NodeInputs(["clip_name1": "text_encoder/model.safetensors", "clip_name2": "text_encoder_2/model.safetensors", "type": "flux"])
        let result = try await DualCLIPLoader().execute(inputs, context: NodeContext(nodeID: "1", promptID: "p", resources: resources))
        #expect(result.outputs.first is TextEncoder)
    }

    @Test func unsupportedTypesFailValidationWithTheSupportedOnes() {
        let message = DualCLIPLoader.validate(NodeInputs(["type": "sd3"]), resources: Resources())
        #expect(message?.contains("sd3") == true && message?.contains("flux") == true && message?.contains("sdxl") == true)
        #expect(DualCLIPLoader.validate(NodeInputs(["type": "flux"]), resources: Resources()) == nil)
        #expect(DualCLIPLoader.validate(NodeInputs(["type": "sdxl"]), resources: Resources()) == nil)
        #expect(CLIPLoader.validate(NodeInputs(["type": "sd3"]), resources: Resources())?.contains("stable_diffusion") == true)
    }

    @Test func twoClipFilesAreNotAFluxPair() async throws {
        let install = try Install()
        defer { install.remove() }
        let inputs = NodeInputs(["clip_name1": Self.clipName, "clip_name2": Self.clipName, "type": "flux"])
        let error = await #expect(throws: NodeError.self) { try await DualCLIPLoader().execute(inputs, context: install.context()) }
        #expect(error?.description.contains("T5") == true)
    }

    @Test func clipLoaderEncodesSD1Windows() async throws {
        let install = try Install()
        defer { install.remove() }
        let loaded = try await CLIPLoader().execute(
            NodeInputs(["clip_name": Self.clipName, "type": "stable_diffusion"]), context: install.context())
        let clip = try #require(loaded.outputs.first as? TextEncoder)
        let result = try await CLIPTextEncode().execute(NodeInputs(["text": Self.prompts[2].prompt, "clip": clip]), context: install.context())
        let entry = try #require((result.outputs.first as? Conditioning)?.entries.first)
        // Four 77-token windows side by side, weighted; the pooled output is the first window's.
        #expect(entry.crossAttention.shape == [1, 308, 8])
        #expect(nmse(entry.crossAttention.values, reference: Self.values("sd1.long.cross_attention")) <= 5e-4)
        #expect(nmse(entry.pooledOutput?.values ?? [], reference: Self.values("flux.long.pooled")) <= 5e-4)
    }

    @Test func clipSetLastLayerChangesSD1TokensButNotFlux() async throws {
        let install = try Install()
        defer { install.remove() }
        let loaded = try await CLIPLoader().execute(
            NodeInputs(["clip_name": Self.clipName, "type": "stable_diffusion"]), context: install.context())
        func encode(_ clip: NodeValue, layer: Int?) async throws -> Conditioning.Entry {
            var clip = clip
            if let layer {
                let set = try await CLIPSetLastLayer().execute(NodeInputs(["clip": clip, "stop_at_clip_layer": layer]), context: install.context())
                clip = try #require(set.outputs.first)
            }
            let result = try await CLIPTextEncode().execute(NodeInputs(["text": "a cat", "clip": clip]), context: install.context())
            return try #require((result.outputs.first as? Conditioning)?.entries.first)
        }
        let sd1 = try #require(loaded.outputs.first)
        let last = try await encode(sd1, layer: nil)
        #expect(try await encode(sd1, layer: -1).crossAttention == last.crossAttention)
        let penultimate = try await encode(sd1, layer: -2)
        #expect(nmse(penultimate.crossAttention.values, reference: last.crossAttention.values) > 1e-3)
        #expect(penultimate.pooledOutput == last.pooledOutput)

        let flux = try await install.loadFlux()
        #expect(try await encode(flux, layer: -2).crossAttention == (try await encode(flux, layer: nil)).crossAttention)
    }

    @Test func repeatedPromptIsACacheHitAndAnEditReencodesOnlyItsNode() async throws {
        let install = try Install()
        defer { install.remove() }
        func prompt(_ text: String) -> Prompt {
            Prompt(nodes: [
                PromptNode(id: "1", classType: "DualCLIPLoader", inputs: [
                    (name: "clip_name1", value: .literal(.string(Self.clipName))), (name: "clip_name2", value: .literal(.string(Self.t5Name))),
                    (name: "type", value: .literal(.string("flux"))),
                ]),
                PromptNode(id: "2", classType: "CLIPTextEncode", inputs: [
                    (name: "text", value: .literal(.string(text))), (name: "clip", value: .link(NodeLink(node: "1", output: 0))),
                ]),
                PromptNode(id: "3", classType: "PreviewAny", inputs: [(name: "source", value: .link(NodeLink(node: "2", output: 0)))]),
            ])
        }
        let validator = Validator(registry: NodeLibrary.registry, resources: install.resources)
        let executor = Executor(registry: NodeLibrary.registry, resources: install.resources)
        let first = await executor.run(try validator.validate(prompt("a cat")))
        #expect(first.succeeded, "\(first.status)")
        #expect(first.executedNodes == ["1", "2", "3"])
        let second = await executor.run(try validator.validate(prompt("a cat")))
        #expect(second.executedNodes.isEmpty, "\(second.executedNodes)")
        let edited = await executor.run(try validator.validate(prompt("a dog")))
        #expect(edited.executedNodes == ["2", "3"], "\(edited.executedNodes)")
    }
}

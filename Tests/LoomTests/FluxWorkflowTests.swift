import Foundation
import LoomImaging
import Testing
@testable import Loom

/// The Flux workflows in graphs/ run on the bundled default models (graphs/models) and compared, image for image,
/// with the same graphs executed by ComfyUI itself (scripts/fixtures/make_flux_workflow_golden.py: v0.3.64's
/// PromptExecutor on the CPU).
@Suite(.serialized) struct FluxWorkflowTests {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("loom-flux-\(UUID().uuidString)")
    static let defaultModels = "graphs/models"
    static let golden = "Tests/Fixtures/golden/workflows"

    func engine(models: String = defaultModels) -> LoomEngine {
        let resources = Resources()
        FolderPaths(
            base: output.path, input: repositoryRoot.appendingPathComponent("graphs/input").path, output: output.path,
            models: ModelDirectories(modelsRoot: repositoryRoot.appendingPathComponent(models).path)
        ).register(in: resources)
        return LoomEngine(resources: resources)
    }

    func savedImage(_ outcome: ExecutionOutcome, node: String) throws -> RasterImage {
        let image = try #require(outcome.outputs[node]?["images"]?.arrayValue?.first)
        let path = output.appendingPathComponent(image["subfolder"]?.stringValue ?? "")
            .appendingPathComponent(image["filename"]!.stringValue!).path
        return try ImageFile.read(at: path)
    }

    /// Mean absolute error per channel under one level of 255, no sample off by more than 3, on a reference that
    /// is not flat; and over all samples under `overall` levels. Loom is within 0.002 levels of these images, and
    /// the tight overall bound is what tells the Redux cases apart: on the random tiny models Redux's tokens move
    /// the text-to-image result by 0.14 levels, and attn_bias 0.1 moves it from multiply by 0.1.
    func expectMatch(_ image: RasterImage, golden name: String, overall: Double = 0.03) throws {
        let expected = try ImageFile.read(at: repositoryRoot.appendingPathComponent("\(Self.golden)/\(name).png").path)
        try #require(image.channels == 3 && (image.width, image.height, image.channels) == (expected.width, expected.height, expected.channels))
        var sums = [0, 0, 0], largest = 0
        for (index, (a, b)) in zip(image.samples, expected.samples).enumerated() {
            let difference = abs(Int(a) - Int(b))
            sums[index % 3] += difference
            largest = max(largest, difference)
        }
        for channel in 0..<3 {
            #expect(Double(sums[channel]) / Double(image.width * image.height) < 1, "\(name) channel \(channel)")
        }
        #expect(Double(sums.reduce(0, +)) / Double(image.samples.count) < overall, "\(name): MAE over all samples")
        #expect(largest <= 3, "\(name): largest difference \(largest)")
        #expect(Set(expected.samples).count > 50)
    }

    /// flux-redux-attn-bias is flux-redux with StyleModelApply's attn_bias at strength 0.1.
    @Test(arguments: [("flux-text-to-image", "flux-text-to-image", ""), ("flux-fill-inpaint", "flux-fill-inpaint", ""),
                      ("flux-redux", "flux-redux", ""), ("flux-redux", "flux-redux-attn-bias", "attn_bias")])
    func matchesComfyUI(graph: String, golden: String, strengthType: String) async throws {
        defer { try? FileManager.default.removeItem(at: output) }
        let engine = engine()
        var text = try String(contentsOf: repositoryRoot.appendingPathComponent("graphs/\(graph).yaml"), encoding: .utf8)
        if !strengthType.isEmpty {
            text = text.replacingOccurrences(of: "  strength: 1.0\n  strength_type: multiply",
                                             with: "  strength: 0.1\n  strength_type: \(strengthType)")
            #expect(text.contains("strength_type: \(strengthType)"))
        }
        let outcome = try await engine.run(try engine.loader.load(Array(text.utf8), fileExtension: "yaml"))
        #expect(outcome.succeeded, "\(outcome.status)")
        try expectMatch(try savedImage(outcome, node: "save"), golden: golden)
    }

    @Test func everyReadyGraphValidatesInBothFormats() throws {
        let engine = engine()
        let graphs = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("graphs").path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }
        #expect(graphs.count >= 10)
        for graph in graphs {
            let document = try engine.load(contentsOf: repositoryRoot.appendingPathComponent("graphs/\(graph)"))
            #expect(throws: Never.self, "\(graph)") { try engine.validate(document) }
            if graph.hasSuffix("-ui.json") {
                let yaml = try engine.load(contentsOf: repositoryRoot.appendingPathComponent("graphs/" + graph.dropLast(8) + ".yaml"))
                #expect(yaml.prompt.nodes.map(\.classType).sorted() == document.prompt.nodes.map(\.classType).sorted(),
                        "\(graph) holds the nodes of its YAML")
            } else if graph.hasSuffix(".json") {
                let yaml = try engine.load(contentsOf: repositoryRoot.appendingPathComponent("graphs/" + graph.dropLast(5) + ".yaml"))
                #expect(yaml.prompt == document.prompt, "\(graph) and its YAML are the same workflow")
            }
        }
    }

    @Test func dashTailorWithFluxFillDressesThePerson() async throws {
        defer { try? FileManager.default.removeItem(at: output) }
        let engine = engine()
        let outcome = try await engine.run(try engine.load(contentsOf: repositoryRoot.appendingPathComponent("graphs/dashtailor-fill.yaml")))
        #expect(outcome.succeeded, "\(outcome.status)")
        let composite = try savedImage(outcome, node: "save_composite")
        #expect((composite.width, composite.height) == (248, 160))
        let dressed = try savedImage(outcome, node: "save_person")
        #expect((dressed.width, dressed.height) == (120, 160))
        // The crop is the right part of the sampled composite.
        for y in 0..<dressed.height {
            for x in 0..<dressed.width {
                let cropped = (y * dressed.width + x) * 3, source = (y * composite.width + x + 128) * 3
                #expect(dressed.samples[cropped..<cropped + 3] == composite.samples[source..<source + 3])
            }
        }
    }

    /// `models` written into one checkpoint under ComfyUI's prefixes, and the text-to-image graph with its three loaders replaced by the
    /// checkpoint loader.
    func runAllInOneCheckpoint(from models: String) async throws -> (ExecutionOutcome, RasterImage?) {
        let models = repositoryRoot.appendingPathComponent(models)
        let checkpoints = output.appendingPathComponent("models/checkpoints")
        try FileManager.default.createDirectory(at: checkpoints, withIntermediateDirectories: true)
        try SafetensorsComposer.compose([
            ("model.diffusion_model.", models.appendingPathComponent("diffusion_models/flux1-dev.safetensors").path),
            ("text_encoders.clip_l.transformer.", models.appendingPathComponent("text_encoders/clip_l.safetensors").path),
            ("text_encoders.t5xxl.transformer.", models.appendingPathComponent("text_encoders/t5xxl_fp16.safetensors").path),
            ("vae.", models.appendingPathComponent("vae/ae.safetensors").path),
        ], into: checkpoints.appendingPathComponent("flux1-dev-all-in-one.safetensors"))

        let original = try String(contentsOf: repositoryRoot.appendingPathComponent("graphs/flux-text-to-image.yaml"), encoding: .utf8)
        let blocks = original.components(separatedBy: "\n\n").filter {
            !($0.hasPrefix("model:") || $0.hasPrefix("clip:") || $0.hasPrefix("vae:"))
        }
        let graph = blocks.joined(separator: "\n\n")
            .replacingOccurrences(of: "$clip.CLIP", with: "$checkpoint.CLIP")
            .replacingOccurrences(of: "$vae.VAE", with: "$checkpoint.VAE")
            .replacingOccurrences(of: "$model.MODEL", with: "$checkpoint.MODEL")
            + "\n\ncheckpoint:\n  node: CheckpointLoaderSimple\n  ckpt_name: flux1-dev-all-in-one.safetensors\n"
        let resources = Resources()
        FolderPaths(base: output.path, output: output.path,
                    models: ModelDirectories(modelsRoot: output.appendingPathComponent("models").path)).register(in: resources)
        let engine = LoomEngine(resources: resources)
        let outcome = try await engine.run(try engine.loader.load(Array(graph.utf8), fileExtension: "yaml"))
        return (outcome, outcome.succeeded ? try savedImage(outcome, node: "save") : nil)
    }

    /// A checkpoint such as flux1-schnell-fp8.safetensors has no tokenizer beside it: the bundled T5
    /// tokenizer serves it, and the result is the one of the same models loaded separately.
    @Test func anAllInOneCheckpointWithoutATokenizerUsesTheBundledOne() async throws {
        defer { try? FileManager.default.removeItem(at: output) }
        #expect(!FileManager.default.fileExists(atPath: repositoryRoot.appendingPathComponent(Self.defaultModels + "/text_encoders/tokenizer.json").path))
        let (outcome, image) = try await runAllInOneCheckpoint(from: Self.defaultModels)
        #expect(outcome.succeeded, "\(outcome.status)")
        let engine = engine()
        let separate = try await engine.run(try engine.load(contentsOf: repositoryRoot.appendingPathComponent("graphs/flux-text-to-image.yaml")))
        #expect(separate.succeeded, "\(separate.status)")
        #expect(try #require(image).samples == (try savedImage(separate, node: "save")).samples)
        try expectMatch(try #require(image), golden: "flux-text-to-image")
    }

    @Test func aNewProcessReusesTheSampledLatentFromTheDiskCache() async throws {
        defer { try? FileManager.default.removeItem(at: output) }
        let disk = output.appendingPathComponent("cache")
        func freshEngine() -> LoomEngine {
            let resources = Resources()
            FolderPaths(
                base: output.path, input: repositoryRoot.appendingPathComponent("graphs/input").path, output: output.path,
                models: ModelDirectories(modelsRoot: repositoryRoot.appendingPathComponent("graphs/models").path)
            ).register(in: resources)
            return LoomEngine(resources: resources, cache: LoomEngine.cache(policy: .unbounded, diskDirectory: disk))
        }
        let graph = repositoryRoot.appendingPathComponent("graphs/flux-fill-inpaint.yaml")
        let first = try await freshEngine().run(try freshEngine().load(contentsOf: graph))
        #expect(first.succeeded)
        #expect(first.executedNodes.contains("sample"))

        // A second engine (as a new process would) decodes the cached latent: no loading, encoding or sampling.
        let second = try await freshEngine().run(try freshEngine().load(contentsOf: graph))
        #expect(second.succeeded)
        #expect(Set(second.executedNodes).isDisjoint(with: ["sample", "inpaint", "positive", "model", "clip"]), "\(second.executedNodes)")

        // A new prompt re-encodes only that text and samples again.
        let text = try String(contentsOf: graph, encoding: .utf8).replacingOccurrences(of: "text: a (red:1.2) car", with: "text: a blue car")
        let edited = try freshEngine().loader.load(Array(text.utf8), fileExtension: "yaml")
        let third = try await freshEngine().run(edited)
        #expect(third.executedNodes.contains("positive") && third.executedNodes.contains("sample"))
        #expect(!third.executedNodes.contains("negative"))
    }

    @Test func latentsAndConditioningsSurviveTheDiskCacheEncoding() throws {
        var entry = Conditioning.Entry(crossAttention: HostTensor(shape: [1, 2, 3], values: [1, 2, 3, 4, 5, 6]),
                                       pooledOutput: HostTensor(shape: [1, 2], values: [7, 8]), guidance: 30)
        entry.concatMask = HostTensor(shape: [1, 1, 1, 1], values: [0.5])
        let conditioning = Conditioning([entry, Conditioning.Entry(crossAttention: HostTensor(shape: [1, 1, 1], values: [9]))])
        let decoded = try Conditioning(diskCacheEncoding: try conditioning.diskCacheEncoding())
        #expect(decoded.entries.count == 2)
        #expect(decoded.entries[0].crossAttention == entry.crossAttention && decoded.entries[0].pooledOutput == entry.pooledOutput)
        #expect(decoded.entries[0].guidance == 30 && decoded.entries[0].concatMask == entry.concatMask)
        #expect(decoded.entries[0].concatLatentImage == nil && decoded.entries[1].pooledOutput == nil)

        let latent = Latent(samples: HostTensor(shape: [2, 1, 1, 2], values: [1, 2, 3, 4]),
                            noiseMask: HostTensor(shape: [1, 1, 1, 1], values: [1]), batchIndex: [3, 5])
        let bytes = try latent.diskCacheEncoding()
        let back = try Latent(diskCacheEncoding: bytes)
        #expect(back.samples == latent.samples && back.noiseMask == latent.noiseMask && back.batchIndex == [3, 5])
        #expect(throws: DiskCacheDecodingError.self) { try Latent(diskCacheEncoding: Array(bytes.dropLast(3))) }
        #expect(throws: DiskCacheDecodingError.self) { try Latent(diskCacheEncoding: bytes + [0]) }
    }

    @Test func aModelFileReplacedUnderTheSameNameChangesTheLoadersFingerprint() throws {
        let models = output.appendingPathComponent("models/vae")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: output) }
        let file = models.appendingPathComponent("ae.safetensors")
        try FileManager.default.copyItem(
            at: repositoryRoot.appendingPathComponent("graphs/models/vae/ae.safetensors").resolvingSymlinksInPath(), to: file)
        let resources = Resources()
        FolderPaths(base: output.path, models: ModelDirectories(modelsRoot: output.appendingPathComponent("models").path))
            .register(in: resources)
        let inputs = NodeInputs(["vae_name": "ae.safetensors"])
        let before = try VAELoader.fingerprint(inputs, resources: resources)
        #expect(try VAELoader.fingerprint(inputs, resources: resources) == before)
        var bytes = [UInt8](try Data(contentsOf: file))
        bytes[bytes.count - 1] ^= 0xFF
        try Data(bytes).write(to: file)
        #expect(try VAELoader.fingerprint(inputs, resources: resources) != before)
    }
}

import Foundation
import LoomGraph
import LoomModelFiles
import LoomModels
import ModelFixtureSupport
import Testing
@testable import LoomNodes

/// CLIPTextEncode on the SD1.5, SDXL and refiner checkpoints (and SDXL's separate clip_l / clip_g files)
/// against the conditioning ComfyUI's own CLIPTextEncode produced for the same prompts
/// (Tests/Fixtures/golden/text/sd-golden.safetensors, scripts/fixtures/make_sd_golden.py).
@Suite struct StableDiffusionTextTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let golden = try! ModelFile.open(path: fixtures.appendingPathComponent("golden/text/sd-golden.safetensors").path)
    static let prompts = try! JSONDecoder().decode(
        [String: String].self, from: Data(contentsOf: fixtures.appendingPathComponent("golden/text/sd-prompts.json")))

    /// A base folder with the tiny SD files under the names users have.
    static func resources() throws -> (Resources, TemporaryFolders) {
        let temporary = try TemporaryFolders()
        let models = temporary.folders.base + "/models"
        let links = ["checkpoints/sd_xl_base_1.0.safetensors": "sdxl-tiny", "checkpoints/sd_xl_refiner_1.0.safetensors": "sdxl-refiner-tiny",
                     "checkpoints/v1-5-pruned-emaonly.safetensors": "sd15-tiny", "text_encoders/clip_l.safetensors": "clip-l-sdxl-tiny",
                     "text_encoders/clip_g.safetensors": "clip-g-tiny"]
        for (name, file) in links {
            let path = models + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: CommittedModels.path("sd/\(file).safetensors"))
        }
        let resources = Resources()
        FolderPaths(base: temporary.folders.base, models: ModelDirectories(modelsRoot: models)).register(in: resources)
        return (resources, temporary)
    }

    static func checkpointCLIP(_ name: String, _ resources: Resources) async throws -> TextEncoder {
        let result = try await CheckpointLoaderSimple().execute(
            NodeInputs(["ckpt_name": name]), context: NodeContext(nodeID: "1", promptID: "p", resources: resources))
        return try #require(result.outputs[1] as? TextEncoder)
    }

    static func expectMatches(_ clip: TextEncoder, model: String, layer: String = "") throws {
        for (name, prompt) in prompts {
            let entry = try #require(try clip.encode(prompt).entries.first)
            let cond = golden["comfyui.\(model).\(name)\(layer).cond"]!
            #expect(entry.crossAttention.shape == [1] + cond.shape, "\(model) \(name)")
            #expect(nmse(entry.crossAttention.values, reference: cond.floats()) <= 5e-4, "\(model) \(name) cond")
            if let pooled = golden["comfyui.\(model).\(name).pooled"] {
                #expect(nmse(try #require(entry.pooledOutput).values, reference: pooled.floats()) <= 5e-4, "\(model) \(name) pooled")
            }
        }
    }

    @Test func checkpointsEncodeAsComfyUI() async throws {
        let (resources, temporary) = try Self.resources()
        defer { temporary.remove() }
        try Self.expectMatches(try await Self.checkpointCLIP("sd_xl_base_1.0.safetensors", resources), model: "sdxl")
        try Self.expectMatches(try await Self.checkpointCLIP("sd_xl_refiner_1.0.safetensors", resources), model: "refiner")
        var sd15 = try await Self.checkpointCLIP("v1-5-pruned-emaonly.safetensors", resources)
        try Self.expectMatches(sd15, model: "sd15")
        sd15.clipLayer = .hidden(-2)
        try Self.expectMatches(sd15, model: "sd15", layer: ".layer-2")
    }

    @Test func separateClipFilesEncodeAsTheCheckpoint() async throws {
        let (resources, temporary) = try Self.resources()
        defer { temporary.remove() }
        // clip_g first: the loader tells the files apart by their sizes.
        let result = try await DualCLIPLoader().execute(
            NodeInputs(["clip_name1": "clip_g.safetensors", "clip_name2": "clip_l.safetensors", "type": "sdxl"]),
            context: NodeContext(nodeID: "1", promptID: "p", resources: resources))
        try Self.expectMatches(try #require(result.outputs.first as? TextEncoder), model: "sdxl")
    }

    @Test func sdxlSizeConditioningNodesNeedAnSDXLClip() async throws {
        let (resources, temporary) = try Self.resources()
        defer { temporary.remove() }
        let sd15 = try await Self.checkpointCLIP("v1-5-pruned-emaonly.safetensors", resources)
        let error = await #expect(throws: NodeError.self) {
            try await CLIPTextEncodeSDXL().execute(
                NodeInputs(["clip": sd15, "width": 1024, "height": 1024, "crop_w": 0, "crop_h": 0, "target_width": 1024,
                            "target_height": 1024, "text_g": "a", "text_l": "a"]),
                context: NodeContext(nodeID: "1", promptID: "p", resources: resources))
        }
        #expect(error?.message.contains("SD1.x") == true)
    }
}

/// Model files of the wrong family, and files of no family, as a user would meet them.
@Suite struct ModelFamilyMismatchTests {
    @Test func fluxOnlyNodesNameTheFamilyTheyWereGiven() async throws {
        let (resources, temporary) = try StableDiffusionTextTests.resources()
        defer { temporary.remove() }
        let context = NodeContext(nodeID: "1", promptID: "p", resources: resources)
        let loaded = try await CheckpointLoaderSimple().execute(NodeInputs(["ckpt_name": "sd_xl_base_1.0.safetensors"]), context: context)
        let model = try #require(loaded.outputs[0] as? DiffusionModel)
        #expect(model.family.name == "SDXL" && model.latentFormat == .sdxl)
        let error = await #expect(throws: NodeError.self) {
            try await ModelSamplingFlux().execute(
                NodeInputs(["model": model, "max_shift": 1.15, "base_shift": 0.5, "width": 1024, "height": 1024]), context: context)
        }
        #expect(error?.message.contains("model:") == true && error?.message.contains("SDXL") == true
                && error?.message.contains("Flux") == true)
    }

    @Test func aFileOfNoFamilyNamesTheKeysLookedFor() async throws {
        let (resources, temporary) = try StableDiffusionTextTests.resources()
        defer { temporary.remove() }
        let vaeOnly = temporary.folders.base + "/models/checkpoints/not-a-checkpoint.safetensors"
        try FileManager.default.createSymbolicLink(
            atPath: vaeOnly, withDestinationPath: CommittedModels.path("sd/sdxl-vae-tiny.safetensors"))
        let error = await #expect(throws: NodeError.self) {
            try await CheckpointLoaderSimple().execute(
                NodeInputs(["ckpt_name": "not-a-checkpoint.safetensors"]), context: NodeContext(nodeID: "1", promptID: "p", resources: resources))
        }
        let message = error?.message ?? ""
        #expect(message.contains("ckpt_name") && message.contains("double_blocks.0.img_attn.qkv.weight")
                && message.contains("input_blocks.0.0.weight") && message.contains("AutoencoderKL"), "\(message)")
    }
}

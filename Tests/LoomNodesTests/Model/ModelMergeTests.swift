import Foundation
import LoomGraph
import LoomModels
import LoomNodes
import Testing

/// ModelMergeSimple and CLIPMergeSimple against ComfyUI's on the tiny models (Tests/Fixtures/golden/merge,
/// scripts/fixtures/make_merge_golden.py): merged weights, the merged Flux's velocity, the merged CLIP's conditioning.
@Suite(.serialized) struct ModelMergeTests {
    static let directory = LoRATests.fixtures.appendingPathComponent("golden/merge")

    @Test func schemasMatchComfyUI() throws {
        #expect(ModelMergeSimple.schema.inputs.map(\.name) == ["model1", "model2", "ratio"])
        #expect(CLIPMergeSimple.schema.inputs.map(\.name) == ["clip1", "clip2", "ratio"])
        #expect(ModelMergeSimple.schema.outputs.map(\.type) == ["MODEL"] && CLIPMergeSimple.schema.outputs.map(\.type) == ["CLIP"])
        for schema in [ModelMergeSimple.schema, CLIPMergeSimple.schema] {
            #expect(schema.category == "advanced/model_merging")
            guard case .float(let options) = schema.inputs[2].kind else { Issue.record("ratio is not a FLOAT"); continue }
            #expect(options.defaultValue == 1.0 && options.min == 0 && options.max == 1 && options.step == 0.01)
        }
    }

    @Test func fluxMergeMatchesComfyUI() async throws {
        let manifest = try LoRATests.Manifest(directory: Self.directory)
        let models = try LoRATests.Models()
        defer { models.temporary.remove() }
        let dev = try await models.flux()
        let (schnell, _) = try await models.lora("flux-bfl.safetensors", model: try await models.flux("flux-schnell.safetensors"), strength: -1.2)
        let result = try await models.run(ModelMergeSimple.self, ["model1": dev, "model2": schnell, "ratio": 0.35])
        let merged = result.outputs[0] as! DiffusionModel
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.directory.appendingPathComponent("manifest.json"))) as! [String: Any]
        let flux = try #require((json["cases"] as! [[String: Any]]).first { $0["name"] as? String == "flux" })
        for (name, array) in flux["patched"] as! [String: String] {
            let error = nmse(try LoRATests.patchedWeight(name, model: merged, clip: nil), reference: try manifest.array(array).values)
            #expect(error <= 5e-4, "\(name): NMSE \(error)")
        }
        let velocity = nmse(try await LoRATests.fluxVelocity(merged), reference: try manifest.array("flux.velocity").values)
        #expect(velocity <= 5e-4, "merged Flux velocity NMSE \(velocity)")
        print("merged Flux velocity NMSE \(velocity)")
        // Ratio 1 is model1 itself.
        let same = try await models.run(ModelMergeSimple.self, ["model1": dev, "model2": schnell, "ratio": 1.0]).outputs[0] as! DiffusionModel
        #expect(same.source?.patches.isEmpty == true)
    }

    @Test func clipMergeMatchesComfyUI() async throws {
        let manifest = try LoRATests.Manifest(directory: Self.directory)
        let models = try LoRATests.Models()
        defer { models.temporary.remove() }
        let (_, sd15Clip) = try await models.checkpoint("sd15-tiny.safetensors")
        let (sdxl, sdxlClip) = try await models.checkpoint("sdxl-tiny.safetensors")
        let (_, loraClip, _) = try await models.lora("sdxl-kohya.safetensors", model: sdxl, clip: sdxlClip, strengthModel: 0, strengthClip: 1.5)
        let result = try await models.run(CLIPMergeSimple.self, ["clip1": sd15Clip, "clip2": loraClip, "ratio": 0.6])
        let merged = result.outputs[0] as! TextEncoder
        let key = "clip_l.transformer.text_model.encoder.layers.1.mlp.fc1.weight"
        let weight = nmse(try LoRATests.patchedWeight(key, model: sdxl, clip: merged), reference: try manifest.array("clip." + key).values)
        #expect(weight <= 5e-4, "merged CLIP weight NMSE \(weight)")
        let cond = try #require(try merged.encode("a photo of a cat").entries.first).crossAttention.values
        let error = nmse(cond, reference: try manifest.array("clip.cond").values)
        #expect(error <= 5e-4, "merged CLIP cond NMSE \(error)")
        print("merged CLIP cond NMSE \(error)")
    }

    @Test func modelsSharingNoWeightAreRefused() async throws {
        let models = try LoRATests.Models()
        defer { models.temporary.remove() }
        let (sdxl, _) = try await models.checkpoint("sdxl-tiny.safetensors")
        let flux = try await models.flux()
        let refused = await #expect(throws: NodeError.self) {
            try await models.run(ModelMergeSimple.self, ["model1": flux, "model2": sdxl, "ratio": 0.5])
        }
        #expect(String(describing: try #require(refused)).contains("model2"))
    }
}

import Foundation
import LoomGraph
import LoomImaging
import LoomModelFiles
import LoomModels
import LoomNodes
import Testing

/// CLIPVisionLoader → CLIPVisionEncode → StyleModelLoader → StyleModelApply on the models `graphs/models` links to,
/// against what ComfyUI's own nodes computed (`scripts/fixtures/make_vision_golden.py`).
@Suite struct ReduxNodeTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let golden: ModelFile = {
        do { return try ModelFile.open(path: repository.appendingPathComponent("Tests/Fixtures/golden/vision/golden.safetensors").path) } catch { fatalError("\(error)") }
    }()

    static func tensor(_ name: String) -> HostTensor {
        guard let stored = golden[name] else { fatalError("golden.safetensors has no \(name)") }
        return HostTensor(shape: stored.shape, values: stored.floats())
    }

    static func resources(modelsRoot: String = repository.appendingPathComponent("graphs/models").path) -> Resources {
        let resources = Resources()
        FolderPaths(base: repository.path, models: ModelDirectories(modelsRoot: modelsRoot)).register(in: resources)
        return resources
    }

    static func run<N: Node>(_ type: N.Type, _ values: [String: NodeValue], resources: Resources) async throws -> NodeValue {
        try await N().execute(NodeInputs(values, nodeID: "1", classType: N.schema.name),
                              context: NodeContext(nodeID: "1", promptID: "p", resources: resources, progress: { _, _ in })).outputs[0]
    }

    static func nmse(_ expected: [Float], _ actual: [Float]) -> Double {
        guard expected.count == actual.count else { return .infinity }
        let error = zip(expected, actual).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        return error / expected.reduce(0.0) { $0 + Double($1) * Double($1) }
    }

    @Test func reduxConditioningMatchesComfyUI() async throws {
        let resources = Self.resources()
        let vision = try await Self.run(CLIPVisionLoader.self, ["clip_name": "sigclip_vision_patch14_384.safetensors"], resources: resources)
        let stored = Self.tensor("preprocess.rgba.image")
        let image = Image(batchCount: stored.shape[0], height: stored.shape[1], width: stored.shape[2], channels: stored.shape[3], pixels: stored.values)
        let encoded = try await Self.run(CLIPVisionEncode.self, ["clip_vision": vision, "image": image, "crop": "center"], resources: resources)
        let output = try #require(encoded as? VisionEncoderOutput)
        let visionError = Self.nmse(Self.tensor("comfy.vision.last").values, output.lastHiddenState.values)
        #expect(visionError <= 5e-4, "CLIPVisionEncode NMSE \(visionError)")
        #expect(Self.nmse(Self.tensor("comfy.vision.penultimate").values, output.penultimateHiddenStates.values) <= 5e-4)

        let style = try await Self.run(StyleModelLoader.self, ["style_model_name": "flux1-redux-dev.safetensors"], resources: resources)
        let text = Self.tensor("comfy.text")
        let conditioning = Conditioning([Conditioning.Entry(crossAttention: text, pooledOutput: Self.tensor("comfy.pooled"), guidance: 3.5)])
        for (type, strength, key) in [("multiply", 0.3, "multiply.0.3"), ("multiply", 1.0, "multiply.1"), ("multiply", 2.0, "multiply.2"),
                                      ("attn_bias", 1.0, "attn_bias.1")] {
            let applied = try await Self.run(StyleModelApply.self, [
                "conditioning": conditioning, "style_model": style, "clip_vision_output": encoded,
                "strength": strength, "strength_type": type,
            ], resources: resources)
            let entry = try #require((applied as? Conditioning)?.entries.first)
            let expected = Self.tensor("comfy.apply.\(key)")
            #expect(entry.crossAttention.shape == expected.shape)
            let error = Self.nmse(expected.values, entry.crossAttention.values)
            #expect(error <= 5e-4, "\(type) \(strength): NMSE \(error)")
            // The text tokens come first, unchanged, and the extras are kept.
            #expect(Array(entry.crossAttention.values.prefix(text.count)) == text.values)
            #expect(entry.guidance == 3.5 && entry.pooledOutput == Self.tensor("comfy.pooled"))
        }
    }

    @Test func loadersRefuseOtherModelsByName() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-redux-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let vision = Self.repository.appendingPathComponent("Tests/Fixtures/golden/vision")
        for folder in ["clip_vision", "style_models"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(at: vision.appendingPathComponent("flux-redux-small-bf16.safetensors"),
                                         to: root.appendingPathComponent("clip_vision/redux.safetensors"))
        try FileManager.default.copyItem(at: vision.appendingPathComponent("siglip-small-f16.safetensors"),
                                         to: root.appendingPathComponent("style_models/siglip.safetensors"))
        // The T2I-Adapter style model's marker tensor, one float.
        let header = Data(#"{"style_embedding":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf8)
        var adapter = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Data($0) }
        adapter.append(header)
        adapter.append(Data(count: 4))
        try adapter.write(to: root.appendingPathComponent("style_models/t2i-style.safetensors"))
        let resources = Self.resources(modelsRoot: root.path)

        await #expect { try await Self.run(CLIPVisionLoader.self, ["clip_name": "redux.safetensors"], resources: resources) } throws: {
            "\($0)".contains("clip_name") && "\($0)".contains("vision_model.embeddings.patch_embedding.weight")
        }
        await #expect { try await Self.run(StyleModelLoader.self, ["style_model_name": "siglip.safetensors"], resources: resources) } throws: {
            "\($0)".contains("redux_down.weight")
        }
        await #expect { try await Self.run(StyleModelLoader.self, ["style_model_name": "t2i-style.safetensors"], resources: resources) } throws: {
            "\($0)".contains("T2I-Adapter")
        }
    }
}

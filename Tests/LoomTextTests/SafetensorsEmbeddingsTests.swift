import Foundation
import Testing
@testable import LoomText

@Suite final class SafetensorsEmbeddingsTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-st-\(UUID().uuidString)")

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// Writes a safetensors file whose header declares `tensors` (name → shape); data is zeros.
    func write(_ name: String, _ tensors: [String: [Int]]) throws {
        var offset = 0
        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        for (tensor, shape) in tensors.sorted(by: { $0.key < $1.key }) {
            let bytes = shape.reduce(4, *)
            header[tensor] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        let json = try JSONSerialization.data(withJSONObject: header)
        var file = Data(withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) })
        file += json + Data(count: offset)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try file.write(to: root.appendingPathComponent(name))
    }

    @Test func countsVectorsOfTheTensorComfyUIWouldUse() throws {
        try write("plain.safetensors", ["emb_params": [3, 768]])
        try write("sdxl.safetensors", ["clip_g": [4, 1280], "clip_l": [4, 768]])
        try write("single.safetensors", ["vector": [768]])
        try write("bundle.safetensors", ["bundle_emb.a.string_to_param.*": [2, 768], "bundle_emb.b.string_to_param.*": [1, 768], "lora.up": [8, 8]])
        try write("keyed_bundle.safetensors", ["bundle_emb.a.clip_l": [5, 768], "bundle_emb.a.clip_g": [5, 1280], "a_first": [9, 8]])
        let clipL = SafetensorsEmbeddings(directories: [root], key: "clip_l")
        #expect(try clipL.vectorCount(ofEmbeddingNamed: "plain") == 3)
        #expect(try clipL.vectorCount(ofEmbeddingNamed: "sdxl") == 4)
        #expect(try clipL.vectorCount(ofEmbeddingNamed: "single") == 1)
        #expect(try clipL.vectorCount(ofEmbeddingNamed: "bundle") == 3)
        #expect(try clipL.vectorCount(ofEmbeddingNamed: "keyed_bundle") == 5)
        #expect(try clipL.vectorCount(ofEmbeddingNamed: "absent") == nil)
    }

    @Test func promptTokenizerSplicesTheVectorsAndNamesMissingOnes() throws {
        try write("style.safetensors", ["emb_params": [2, 768]])
        let tokenizer = PromptTokenizer(
            tokenizer: try CLIPTokenizer.bundled(), windowing: .clip, embeddings: SafetensorsEmbeddings(directories: [root], key: "clip_l"))
        let window = try tokenizer.tokenizeWithWeights("a embedding:style cat")[0]
        #expect(window.prefix(5).map(\.content) == [.id(49406), .id(320), .embedding(name: "style", index: 0), .embedding(name: "style", index: 1), .id(2368)])
        #expect(throws: PromptTokenizerError.missingEmbedding(name: "absent", searched: [root.path])) {
            try tokenizer.tokenizeWithWeights("embedding:absent")
        }
    }

    @Test func pickledAndBrokenFilesAreReportedNotSkipped() throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: root.appendingPathComponent("old.pt"))
        try Data([1, 2, 3]).write(to: root.appendingPathComponent("broken.safetensors"))
        let resolver = SafetensorsEmbeddings(directories: [root], key: "clip_l")
        #expect(throws: PromptTokenizerError.self) { try resolver.vectorCount(ofEmbeddingNamed: "old") }
        #expect(throws: PromptTokenizerError.self) { try resolver.vectorCount(ofEmbeddingNamed: "broken") }
    }
}

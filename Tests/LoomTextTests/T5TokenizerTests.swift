import Foundation
import Testing
@testable import LoomText

@Suite struct T5TokenizerTests {
    static func expectGoldens(_ tokenizer: T5Tokenizer, file: String = "t5_golden.json") throws {
        let prompts = try Fixtures.prompts
        let golden = try Fixtures.decode([[Int]].self, from: file)
        try #require(prompts.count == golden.count)
        var mismatches: [String] = []
        for (prompt, expected) in zip(prompts, golden) {
            let ids = tokenizer.encode(prompt) + [T5Tokenizer.endToken]
            if ids != expected { mismatches.append("\(prompt.debugDescription): got \(ids), expected \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) prompts differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test func tokenizerJSONMatchesHuggingFace() throws {
        try Self.expectGoldens(try T5Tokenizer(tokenizerJSON: Fixtures.data("t5_tokenizer.json")))
    }

    @Test func sentencePieceModelMatchesHuggingFace() throws {
        try Self.expectGoldens(try T5Tokenizer(sentencePieceModel: Fixtures.data("t5_spiece.model")))
    }

    /// transformers 5 ignores the file's pipeline, so both sources give the same ids.
    @Test(arguments: ["t5_tokenizer.json", "t5_spiece.model"])
    func transformers5ModeMatchesHuggingFace(_ file: String) throws {
        var tokenizer = try T5Tokenizer(contentsOf: Fixtures.directory.appendingPathComponent(file))
        tokenizer.compatibility = .transformers5
        try Self.expectGoldens(tokenizer, file: "t5_transformers5_golden.json")
    }

    /// The layout transformers 4.x writes when it converts spiece.model itself: Metaspace without
    /// a prefix.
    @Test func convertedLayoutMatchesHuggingFace() throws {
        var root = try #require(JSONSerialization.jsonObject(with: Fixtures.data("t5_tokenizer.json")) as? [String: Any])
        let steps = try #require(JSONSerialization.jsonObject(with: Fixtures.data("t5_converted_layout.json")) as? [String: Any])
        root["pre_tokenizer"] = steps["pre_tokenizer"]
        let tokenizer = try T5Tokenizer(tokenizerJSON: JSONSerialization.data(withJSONObject: root))
        try Self.expectGoldens(tokenizer, file: "t5_converted_golden.json")
    }

    @Test func byteFallbackMatchesTokenizersUnigram() throws {
        var tokenizer = try T5Tokenizer(sentencePieceModel: Fixtures.data("t5_bytes_spiece.model"))
        tokenizer.compatibility = .transformers5
        try Self.expectGoldens(tokenizer, file: "t5_bytes_golden.json")
    }

    @Test func precompiledCharsMapNormalizes() throws {
        let model = try SentencePieceModel(bytes: Array(Fixtures.data("t5_spiece.model")))
        let map = try PrecompiledCharsMap(model.precompiledCharsMap)
        #expect(map.normalize("\u{FF26}\u{FF55}ll \u{FB01}ne e\u{301} plain") == "Full fine \u{E9} plain")
        #expect(model.pieces[0].text == "<pad>" && model.pieces[1].text == "</s>" && model.pieces[2].type == .unknown)
    }

    @Test func sentinelAndSpecialTokensMapToTheirIDs() throws {
        let tokenizer = try T5Tokenizer(sentencePieceModel: Fixtures.data("t5_spiece.model"))
        #expect(tokenizer.encode("</s><pad><extra_id_0><extra_id_99>") == [1, 0, 899, 800])
    }

    @Test func locatorFindsFilesInOrderAndExplainsWhereToPutThem() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-t5-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let comfy = root.appendingPathComponent("ComfyUI")
        let diffusers = root.appendingPathComponent("FLUX.1-dev")
        let locator = T5TokenizerLocator(comfyUIRoot: comfy, diffusersModel: diffusers)
        #expect(throws: T5TokenizerError.notFound(searched: [
            comfy.appendingPathComponent("comfy/text_encoders/t5_tokenizer").path, diffusers.appendingPathComponent("tokenizer_2").path,
        ])) { try locator.locate() }
        do {
            _ = try locator.locate()
        } catch {
            #expect(error.description.contains("put tokenizer.json"))
            #expect(error.description.contains("comfy/text_encoders/t5_tokenizer"))
        }

        let spiece = diffusers.appendingPathComponent("tokenizer_2/spiece.model")
        try FileManager.default.createDirectory(at: spiece.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Fixtures.data("t5_spiece.model").write(to: spiece)
        #expect(try locator.locate() == spiece)
        let json = comfy.appendingPathComponent("comfy/text_encoders/t5_tokenizer/tokenizer.json")
        try FileManager.default.createDirectory(at: json.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Fixtures.data("t5_tokenizer.json").write(to: json)
        #expect(try locator.locate() == json)
        #expect(try locator.load().encode("a cat") == T5Tokenizer(tokenizerJSON: Fixtures.data("t5_tokenizer.json")).encode("a cat"))
    }

    @Test func rejectsNonUnigramModels() throws {
        let json = Data(#"{"model": {"type": "BPE", "vocab": {}, "merges": []}}"#.utf8)
        #expect(throws: T5TokenizerError.unsupported("model type BPE; only Unigram (SentencePiece) is supported")) {
            try T5Tokenizer(tokenizerJSON: json)
        }
    }
}

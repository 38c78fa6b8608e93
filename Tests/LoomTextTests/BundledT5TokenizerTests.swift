import Foundation
import Testing
@testable import LoomText

/// The T5 v1.1 vocabulary shipped in LoomText against transformers' T5TokenizerFast on the same
/// vocabulary (scripts/fixtures/make_bundled_t5_fixtures.py).
@Suite struct BundledT5TokenizerTests {
    struct Golden: Decodable {
        var transformers4: [[Int]]
        var transformers5: [[Int]]
    }

    @Test(arguments: [TransformersCompatibility.transformers4, .transformers5])
    func matchesT5TokenizerFast(_ compatibility: TransformersCompatibility) throws {
        let golden = try Fixtures.decode(Golden.self, from: "t5_bundled_golden.json")
        let expected = compatibility == .transformers4 ? golden.transformers4 : golden.transformers5
        let prompts = try Fixtures.prompts
        try #require(prompts.count == expected.count)
        var tokenizer = try T5Tokenizer.bundled()
        tokenizer.compatibility = compatibility
        var mismatches: [String] = []
        for (prompt, ids) in zip(prompts, expected) where tokenizer.encode(prompt) + [T5Tokenizer.endToken] != ids {
            mismatches.append("\(prompt.debugDescription): got \(tokenizer.encode(prompt)), expected \(ids)")
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) prompts differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test func hasT5sVocabularyAndSentinels() throws {
        let tokenizer = try T5Tokenizer.bundled()
        #expect(tokenizer.vocabularySize == 32100)
        #expect(tokenizer.encode("</s><pad><unk><extra_id_0><extra_id_99>") == [1, 0, 2, 32099, 32000])
        #expect(tokenizer.encode("a photo of a cat") == [3, 9, 1202, 13, 3, 9, 1712])
    }

    @Test func locatorPrefersTheUsersFileAndFallsBackToTheBundledOne() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-t5-bundled-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let locator = T5TokenizerLocator(directories: [root])
        let bundled = try T5Tokenizer.bundled()
        #expect(try locator.loadOrBundled().encode("a cat") == bundled.encode("a cat"))
        #expect(try locator.loadOrBundled(modelVocabulary: 32128).vocabularySize == 32100)

        // A model with fewer embedding rows than T5 v1.1 has tokens needs the tokenizer it came with.
        #expect(throws: T5TokenizerError.bundledVocabularyTooLarge(modelVocabulary: 1024, bundledVocabulary: 32100, searched: [root.path])) {
            try locator.loadOrBundled(modelVocabulary: 1024)
        }
        do {
            _ = try locator.loadOrBundled(modelVocabulary: 1024)
        } catch {
            #expect(error.description.contains("1024") && error.description.contains("put tokenizer.json") && error.description.contains(root.path))
        }

        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Fixtures.data("t5_tokenizer.json").write(to: root.appendingPathComponent("tokenizer.json"))
        let own = try locator.loadOrBundled(modelVocabulary: 1024)
        #expect(own.vocabularySize == 900)
        #expect(own.encode("a cat") == (try T5Tokenizer(tokenizerJSON: Fixtures.data("t5_tokenizer.json"))).encode("a cat"))
    }
}

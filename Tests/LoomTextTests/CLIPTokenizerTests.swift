import Foundation
import Testing
@testable import LoomText

@Suite struct CLIPTokenizerTests {
    @Test func bundledVocabularyHasTheCLIPLayout() throws {
        let tokenizer = try CLIPTokenizer.bundled()
        #expect(tokenizer.encode("<|startoftext|><|endoftext|>") == [49406, 49407])
        #expect(tokenizer.encode("a") == [320])  // "a</w>"
        #expect(tokenizer.encode("") == [])
    }

    @Test func rejectsATruncatedMergesFile() {
        #expect(throws: CLIPTokenizerError.tooFewMerges(found: 2, expected: 48894)) {
            try CLIPTokenizer(mergesText: "#version: 0.2\ni n\nt h")
        }
    }

    @Test func matchesHuggingFaceOnEveryFixturePrompt() throws {
        let tokenizer = try CLIPTokenizer.bundled()
        let prompts = try Fixtures.prompts
        let golden = try Fixtures.decode([[Int]].self, from: "clip_golden.json")
        try #require(prompts.count == golden.count)
        var mismatches: [String] = []
        for (prompt, expected) in zip(prompts, golden) {
            let ids = [CLIPTokenizer.startToken] + tokenizer.encode(prompt) + [CLIPTokenizer.endToken]
            if ids != expected { mismatches.append("\(prompt.debugDescription): got \(ids), expected \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) prompts differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    /// transformers 5's CLIPTokenizer (the tokenizers library); the fixture lists only the prompts
    /// where it differs from transformers 4, so both goldens together give every expected id list.
    @Test func transformers5ModeMatchesTheTokenizersPipeline() throws {
        var tokenizer = try CLIPTokenizer.bundled()
        tokenizer.compatibility = .transformers5
        let prompts = try Fixtures.prompts
        var golden = try Fixtures.decode([[Int]].self, from: "clip_golden.json")
        let differences = try Fixtures.decode([String: [Int]].self, from: "clip_transformers5_golden.json")
        #expect(differences.count >= 5)
        for (index, ids) in differences { golden[try #require(Int(index))] = ids }
        var mismatches: [String] = []
        for (prompt, expected) in zip(prompts, golden) {
            let ids = [CLIPTokenizer.startToken] + tokenizer.encode(prompt) + [CLIPTokenizer.endToken]
            if ids != expected { mismatches.append("\(prompt.debugDescription): got \(ids), expected \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) prompts differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }
}

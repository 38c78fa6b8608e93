import Foundation
import Testing
@testable import LoomText

@Suite struct T5TokenizerTests {
    static func expectGoldens(_ tokenizer: T5Tokenizer) throws {
        let prompts = try Fixtures.prompts
        let golden = try Fixtures.decode([[Int]].self, from: "t5_golden.json")
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
}

import Foundation
import Testing
@testable import LoomText

/// Opt-in comparison with a user's own T5 tokenizer file (a ComfyUI install's, a diffusers model's): see
/// `scripts/fixtures/make_real_t5_golden.py`. The vocabulary Loom ships is checked by BundledT5TokenizerTests.
@Suite struct RealTokenizerTests {
    static let environment = ProcessInfo.processInfo.environment

    struct Golden: Decodable {
        var transformers: Int
        var prompts: [String]
        var ids: [[Int]]
    }

    @Test(.enabled(if: environment["LOOM_REAL_T5_TOKENIZER"] != nil && environment["LOOM_REAL_T5_GOLDEN"] != nil))
    func realT5TokenizerMatchesHuggingFace() throws {
        let tokenizerURL = URL(fileURLWithPath: try #require(Self.environment["LOOM_REAL_T5_TOKENIZER"]))
        let goldenURL = URL(fileURLWithPath: try #require(Self.environment["LOOM_REAL_T5_GOLDEN"]))
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: goldenURL))
        var tokenizer = try T5Tokenizer(contentsOf: tokenizerURL)
        tokenizer.compatibility = golden.transformers >= 5 ? .transformers5 : .transformers4
        var mismatches: [String] = []
        for (prompt, expected) in zip(golden.prompts, golden.ids) {
            let ids = tokenizer.encode(prompt) + [T5Tokenizer.endToken]
            if ids != expected { mismatches.append("\(prompt.debugDescription): got \(ids), expected \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) prompts differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }
}

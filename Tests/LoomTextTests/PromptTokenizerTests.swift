import Foundation
import Testing
@testable import LoomText

/// ComfyUI `tokenize_with_weights` goldens: windows of token ids (or embedding vectors) with
/// run-length encoded weights.
struct WeightedGolden: Decodable {
    struct Window: Decodable {
        var tokens: [Token]
        var weights: [Run]
    }

    enum Token: Decodable, Equatable {
        case id(Int)
        case embedding(String, Int)

        init(from decoder: any Decoder) throws {
            if let id = try? decoder.singleValueContainer().decode(Int.self) {
                self = .id(id)
                return
            }
            var list = try decoder.unkeyedContainer()
            _ = try list.decode(String.self)  // "emb"
            self = .embedding(try list.decode(String.self), try list.decode(Int.self))
        }
    }

    struct Run: Decodable {
        var weight: Double
        var count: Int

        init(from decoder: any Decoder) throws {
            var list = try decoder.unkeyedContainer()
            if let number = try? list.decode(Double.self) {
                weight = number
            } else {
                let text = try list.decode(String.self)  // infinities, which JSON cannot spell
                weight = text == "-inf" ? -.infinity : .infinity
            }
            count = try list.decode(Int.self)
        }
    }

    struct Case: Decodable {
        var prompt: String
        var clip_l: [Window]
        var t5xxl: [Window]
    }

    var embeddings: [String: Int]
    var cases: [Case]
}

/// Embeddings known by name, as the fixture script's stand-in for an embeddings folder.
struct FixedEmbeddings: EmbeddingResolver {
    var counts: [String: Int]
    var searchedDirectories: [URL] { [URL(fileURLWithPath: "/models/embeddings")] }

    func vectorCount(ofEmbeddingNamed name: String) throws(PromptTokenizerError) -> Int? { counts[name] }
}

func flatten(_ windows: [WeightedGolden.Window]) -> [[WeightedToken]] {
    windows.map { window in
        let weights = window.weights.flatMap { repeatElement($0.weight, count: $0.count) }
        return zip(window.tokens, weights).map { token, weight in
            switch token {
            case .id(let id): WeightedToken(.id(id), weight: weight)
            case .embedding(let name, let index): WeightedToken(.embedding(name: name, index: index), weight: weight)
            }
        }
    }
}

@Suite struct PromptTokenizerTests {
    let golden: WeightedGolden

    init() throws {
        golden = try Fixtures.decode(WeightedGolden.self, from: "weighted_golden.json")
    }

    @Test func clipWindowsMatchComfyUI() throws {
        let tokenizer = PromptTokenizer(
            tokenizer: try CLIPTokenizer.bundled(), windowing: .clip, embeddings: FixedEmbeddings(counts: golden.embeddings))
        for testCase in golden.cases {
            let windows = try tokenizer.tokenizeWithWeights(testCase.prompt)
            #expect(windows == flatten(testCase.clip_l), "\(testCase.prompt.debugDescription)")
            #expect(windows.allSatisfy { $0.count == 77 })
        }
    }

    @Test func fluxT5WindowMatchesComfyUI() throws {
        let t5 = try T5Tokenizer(tokenizerJSON: Fixtures.data("t5_tokenizer.json"))
        let tokenizer = PromptTokenizer(tokenizer: t5, windowing: .fluxT5, embeddings: FixedEmbeddings(counts: golden.embeddings))
        for testCase in golden.cases {
            let windows = try tokenizer.tokenizeWithWeights(testCase.prompt)
            #expect(windows == flatten(testCase.t5xxl), "\(testCase.prompt.debugDescription)")
            #expect(windows.count == 1 && windows[0].count >= 256)
        }
    }

    @Test func fluxTokenizerPairsBothGoldens() throws {
        let flux = FluxPromptTokenizer(
            clipL: try CLIPTokenizer.bundled(), t5xxl: try T5Tokenizer(tokenizerJSON: Fixtures.data("t5_tokenizer.json")),
            embeddings: FixedEmbeddings(counts: golden.embeddings))
        let testCase = try #require(golden.cases.first { $0.prompt == "a (red:1.2) car" })
        #expect(try flux.tokenize(testCase.prompt) == FluxPromptTokens(clipL: flatten(testCase.clip_l), t5xxl: flatten(testCase.t5xxl)))
        let split = try flux.tokenize(clipL: testCase.prompt, t5xxl: "")
        #expect(split.t5xxl == [[WeightedToken(.id(1))] + Array(repeating: WeightedToken(.id(0)), count: 255)])
    }

    /// CLIP-G and SD3's T5 differ from the golden presets only in padding id and minimum length.
    @Test func clipGAndSD3PresetsChangeOnlyThePadding() throws {
        let clipG = PromptTokenizer(tokenizer: try CLIPTokenizer.bundled(), windowing: .clipG)
        let sd3 = PromptTokenizer(tokenizer: try T5Tokenizer(tokenizerJSON: Fixtures.data("t5_tokenizer.json")), windowing: .sd3T5)
        let testCase = try #require(golden.cases.first { $0.prompt == "a (red:1.2) car" })
        let clipL = flatten(testCase.clip_l)[0]
        // CLIP-L pads with end tokens, so its first end token closes the prompt.
        let contentLength = try #require(clipL.firstIndex(of: WeightedToken(.id(CLIPTokenizer.endToken)))) + 1
        #expect(try clipG.tokenizeWithWeights(testCase.prompt) == [Array(clipL.prefix(contentLength)) + repeatElement(WeightedToken(.id(0)), count: 77 - contentLength)])
        let t5 = flatten(testCase.t5xxl)[0]
        let t5Length = try #require(t5.firstIndex(of: WeightedToken(.id(T5Tokenizer.endToken)))) + 1
        #expect(try sd3.tokenizeWithWeights(testCase.prompt) == [Array(t5.prefix(t5Length)) + repeatElement(WeightedToken(.id(0)), count: 77 - t5Length)])
    }

    @Test func goldensCoverLongAndWeightedPrompts() {
        #expect(golden.cases.contains { $0.clip_l.count >= 3 })
        #expect(golden.cases.contains { $0.t5xxl[0].tokens.count > 256 })
        #expect(golden.cases.contains { $0.clip_l.contains { $0.weights.contains { $0.weight == 1.1 * 1.1 } } })
    }

    @Test func missingEmbeddingNamesItAndTheFolders() throws {
        let tokenizer = PromptTokenizer(tokenizer: try CLIPTokenizer.bundled(), windowing: .clip, embeddings: FixedEmbeddings(counts: [:]))
        #expect(throws: PromptTokenizerError.missingEmbedding(name: "nowhere", searched: ["/models/embeddings"])) {
            try tokenizer.tokenizeWithWeights("a cat embedding:nowhere")
        }
        let error = PromptTokenizerError.missingEmbedding(name: "nowhere", searched: ["/models/embeddings"])
        #expect(error.description.contains("nowhere.safetensors") && error.description.contains("/models/embeddings"))
    }

    @Test func withoutResolverEmbeddingIsText() throws {
        let clip = try CLIPTokenizer.bundled()
        let tokenizer = PromptTokenizer(tokenizer: clip, windowing: .clip)
        let windows = try tokenizer.tokenizeWithWeights("embedding:cat")
        #expect(windows[0].prefix(1 + clip.encode("embedding:cat").count).map(\.content) == ([49406] + clip.encode("embedding:cat")).map { .id($0) })
    }
}

@Suite struct PromptWeightingTests {
    func weights(_ prompt: String) -> [String: Double] {
        Dictionary(PromptWeighting.segments(of: prompt).map { ($0.text, $0.weight) }, uniquingKeysWith: { $1 })
    }

    @Test func comfyUIDocumentedExamples() {
        #expect(weights("(foo)") == ["foo": 1.1])
        #expect(weights("((foo))") == ["foo": 1.1 * 1.1])
        #expect(weights("((foo):1.1)") == ["foo": 1.1 * 1.1])
        #expect(weights("((foo:1.1))") == ["foo": 1.1])
        #expect(weights("foo ((((lol (cat:666) attack):100))) baz") == ["foo ": 1, "lol ": 110.00000000000001, "cat": 666, " attack": 110.00000000000001, " baz": 1])
    }

    @Test func escapesAndBracketsStayLiteral() {
        #expect(PromptWeighting.segments(of: "\\(a\\) [b]") == [.init(text: "(a) [b]", weight: 1)])
    }

    @Test func pythonFloatRules() {
        #expect(PythonText.float(" 1.5 ") == 1.5)
        #expect(PythonText.float("1_0") == 10)
        #expect(PythonText.float("-.5e1") == -5)
        #expect(PythonText.float("1__0") == nil)
        #expect(PythonText.float("0x10") == nil)
        #expect(PythonText.float("abc") == nil)
        #expect(PythonText.float("-inf") == -.infinity)
    }
}

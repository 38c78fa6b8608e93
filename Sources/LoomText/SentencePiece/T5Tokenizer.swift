import Foundation

/// T5's SentencePiece unigram tokenizer, id for id like Hugging Face's `T5TokenizerFast`, loaded
/// from a `tokenizer.json` or from the SentencePiece `spiece.model` it was converted from.
public struct T5Tokenizer: Sendable {
    public static let padToken = 0
    public static let endToken = 1

    public var compatibility: TransformersCompatibility = .transformers4
    /// Token ids run from 0 to one less than this (the model's pieces and any sentinels).
    public var vocabularySize: Int { model.pieceCount }
    private let specialTokens: [String: Int]
    private let model: UnigramModel
    /// transformers 4 runs the pipeline a `tokenizer.json` describes.
    private let writtenPipeline: Pipeline
    /// transformers 5 builds T5's pipeline in code: the charsmap, whitespace split, `▁` before every word.
    private let rebuiltPipeline: Pipeline

    private struct Pipeline: Sendable {
        var normalizer: TextNormalizer?
        var preTokenizer: PreTokenizer

        init(normalizer: TextNormalizer?, preTokenizer: PreTokenizer) {
            self.normalizer = normalizer
            self.preTokenizer = preTokenizer
        }

        init(charsMap: PrecompiledCharsMap?, prefixesWords: Bool = true) {
            normalizer = charsMap.map { .precompiled($0) }
            preTokenizer = .sequence([.whitespaceSplit, .metaspace(replacement: "▁", prepend: prefixesWords ? .always : .never, splits: true)])
        }
    }

    /// Loads a Hugging Face `tokenizer.json` whose model is `Unigram`.
    public init(tokenizerJSON data: Data) throws(T5TokenizerError) {
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw T5TokenizerError.malformed("the top level is not a JSON object")
            }
            root = object
        } catch let error as T5TokenizerError {
            throw error
        } catch {
            throw .malformed("not valid JSON: \(error.localizedDescription)")
        }
        guard let modelObject = root["model"] as? [String: Any] else { throw .malformed("no \"model\" object") }
        let type = modelObject["type"] as? String ?? "missing"
        guard type == "Unigram" else { throw .unsupported("model type \(type); only Unigram (SentencePiece) is supported") }
        guard let vocabulary = modelObject["vocab"] as? [[Any]] else { throw .malformed("model.vocab is not a list of [piece, score]") }
        var pieces: [(text: String, score: Double)] = []
        pieces.reserveCapacity(vocabulary.count)
        for entry in vocabulary {
            guard entry.count == 2, let text = entry[0] as? String, let score = (entry[1] as? NSNumber)?.doubleValue else {
                throw .malformed("model.vocab entry \(pieces.count) is not [piece, score]")
            }
            pieces.append((text, score))
        }
        guard let unknownID = modelObject["unk_id"] as? Int else { throw .malformed("model.unk_id is missing") }
        model = UnigramModel(pieces: pieces, unknownID: unknownID, byteFallback: modelObject["byte_fallback"] as? Bool ?? false)

        // T5 files mark every added token `normalized: false`: they are matched on the raw text.
        var specialTokens: [String: Int] = [:]
        for case let token as [String: Any] in root["added_tokens"] as? [Any] ?? [] {
            guard let content = token["content"] as? String, let id = token["id"] as? Int else { continue }
            specialTokens[content] = id
        }
        self.specialTokens = specialTokens
        let normalizer = try Self.normalizer(root["normalizer"])
        writtenPipeline = Pipeline(normalizer: normalizer, preTokenizer: try Self.preTokenizer(root["pre_tokenizer"]) ?? .sequence([]))
        rebuiltPipeline = Pipeline(charsMap: normalizer?.precompiledCharsMap)
    }

    /// Loads a SentencePiece `spiece.model` with `extraIDs` sentinel tokens `<extra_id_N>` appended
    /// after the pieces in reverse order. For transformers 4 the text pipeline is the one of the
    /// `tokenizer.json` ComfyUI ships (charsmap, right strip, runs of spaces to `▁`, `▁` prefixed to
    /// the start of the input only). Byte fallback is honoured when the model was trained with it
    /// (transformers' converter drops that flag).
    public init(sentencePieceModel data: Data, extraIDs: Int = 100) throws(T5TokenizerError) {
        let proto: SentencePieceModel
        do { proto = try SentencePieceModel(bytes: Array(data)) } catch { throw .malformed(error.description) }
        guard proto.isUnigram else { throw .unsupported("SentencePiece model type other than unigram") }
        guard let unknownID = proto.pieces.firstIndex(where: { $0.type == .unknown }) else {
            throw .malformed("the SentencePiece model has no unknown piece")
        }
        var pieces = proto.pieces.map { (text: $0.text, score: Double($0.score)) }
        var specialTokens: [String: Int] = [:]
        for (id, piece) in proto.pieces.enumerated() where piece.type == .control || piece.type == .unknown {
            specialTokens[piece.text] = id
        }
        for index in stride(from: extraIDs - 1, through: 0, by: -1) {
            specialTokens["<extra_id_\(index)>"] = pieces.count
            pieces.append(("<extra_id_\(index)>", 0))
        }
        self.specialTokens = specialTokens
        model = UnigramModel(pieces: pieces, unknownID: unknownID, byteFallback: proto.byteFallback)
        var charsMap: PrecompiledCharsMap?
        if !proto.precompiledCharsMap.isEmpty {
            do { charsMap = try PrecompiledCharsMap(proto.precompiledCharsMap) } catch { throw .malformed(error.description) }
        }
        writtenPipeline = Pipeline(
            normalizer: .sequence(
                (charsMap.map { [TextNormalizer.precompiled($0)] } ?? [])
                    + [.strip(left: false, right: true), .replaceRun(of: " ", minimumCount: 2, with: "▁")]),
            preTokenizer: .metaspace(replacement: "▁", prepend: proto.addsDummyPrefix ? .first : .never, splits: true))
        rebuiltPipeline = Pipeline(charsMap: charsMap, prefixesWords: proto.addsDummyPrefix)
    }

    /// Loads a `tokenizer.json` (by its extension) or a `spiece.model` file.
    public init(contentsOf url: URL) throws(T5TokenizerError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadable(url.path, error.localizedDescription) }
        if url.pathExtension == "json" {
            try self.init(tokenizerJSON: data)
        } else {
            try self.init(sentencePieceModel: data)
        }
    }

    /// Token ids of `text` without the end token. Special-token strings (`</s>`, `<extra_id_0>`…)
    /// in the text map to their ids, as in Hugging Face's tokenizer.
    public func encode(_ text: String) -> [Int] {
        let pipeline = compatibility == .transformers4 ? writtenPipeline : rebuiltPipeline
        var ids: [Int] = []
        for (index, segment) in SpecialTokenSplitter.split(text, specialTokens: specialTokens).enumerated() {
            switch segment {
            case .special(let id): ids.append(id)
            case .text(let piece):
                let normalized = pipeline.normalizer?.normalize(String(piece)) ?? String(piece)
                let words = pipeline.preTokenizer.split([normalized], startsInput: index == 0)
                for word in words { ids += model.encode(word) }
            }
        }
        return ids
    }

    private static func normalizer(_ value: Any?) throws(T5TokenizerError) -> TextNormalizer? {
        guard let object = value as? [String: Any] else { return nil }
        let type = object["type"] as? String ?? "missing"
        switch type {
        case "Sequence":
            var steps: [TextNormalizer] = []
            for step in object["normalizers"] as? [Any] ?? [] {
                if let normalizer = try normalizer(step) { steps.append(normalizer) }
            }
            return .sequence(steps)
        case "Precompiled":
            guard let encoded = object["precompiled_charsmap"] as? String, let blob = Data(base64Encoded: encoded) else {
                return nil  // tokenizers also treats a missing charsmap as no normalisation
            }
            do { return .precompiled(try PrecompiledCharsMap(Array(blob))) } catch { throw .malformed(error.description) }
        case "Strip":
            return .strip(left: object["strip_left"] as? Bool ?? true, right: object["strip_right"] as? Bool ?? true)
        case "Prepend":
            return .prepend(object["prepend"] as? String ?? "")
        case "Replace":
            let content = object["content"] as? String ?? ""
            let pattern = object["pattern"] as? [String: Any]
            if let literal = pattern?["String"] as? String { return .replace(literal, with: content) }
            if let regex = pattern?["Regex"] as? String, let run = Self.characterRun(regex) {
                return .replaceRun(of: run.character, minimumCount: run.minimum, with: content)
            }
            throw .unsupported("Replace normaliser pattern \(pattern.map { "\($0)" } ?? "missing")")
        default:
            throw .unsupported("normaliser type \(type)")
        }
    }

    /// Parses the regexes SentencePiece conversions use: one literal character then `{n,}` or `+`.
    private static func characterRun(_ regex: String) -> (character: Unicode.Scalar, minimum: Int)? {
        let scalars = Array(regex.unicodeScalars)
        guard let first = scalars.first, !"\\.[](){}*+?|^$".unicodeScalars.contains(first) else { return nil }
        let rest = String(String.UnicodeScalarView(scalars.dropFirst()))
        if rest == "+" { return (first, 1) }
        guard rest.hasPrefix("{"), rest.hasSuffix(",}"), let minimum = Int(rest.dropFirst().dropLast(2)) else { return nil }
        return (first, minimum)
    }

    private static func preTokenizer(_ value: Any?) throws(T5TokenizerError) -> PreTokenizer? {
        guard let object = value as? [String: Any] else { return nil }
        let type = object["type"] as? String ?? "missing"
        switch type {
        case "Sequence":
            var steps: [PreTokenizer] = []
            for step in object["pretokenizers"] as? [Any] ?? [] {
                if let preTokenizer = try preTokenizer(step) { steps.append(preTokenizer) }
            }
            return .sequence(steps)
        case "WhitespaceSplit":
            return .whitespaceSplit
        case "Metaspace":
            // Older files say add_prefix_space, newer ones prepend_scheme, which then decides.
            let scheme = object["prepend_scheme"] as? String ?? ((object["add_prefix_space"] as? Bool ?? true) ? "always" : "never")
            let prepend: PreTokenizer.MetaspacePrepend
            switch scheme {
            case "always": prepend = .always
            case "first": prepend = .first
            case "never": prepend = .never
            default: throw .unsupported("Metaspace prepend_scheme \(scheme)")
            }
            guard let replacement = (object["replacement"] as? String ?? "▁").unicodeScalars.first else {
                throw .malformed("Metaspace replacement is empty")
            }
            return .metaspace(replacement: replacement, prepend: prepend, splits: object["split"] as? Bool ?? true)
        default:
            throw .unsupported("pre-tokeniser type \(type)")
        }
    }
}

public enum T5TokenizerError: Error, Equatable, CustomStringConvertible {
    case unreadable(String, String)
    case malformed(String)
    case unsupported(String)
    case notFound(searched: [String])
    case missingBundledVocabulary
    /// The shipped T5 v1.1 vocabulary has ids a smaller model cannot embed.
    case bundledVocabularyTooLarge(modelVocabulary: Int, bundledVocabulary: Int, searched: [String])

    public var description: String {
        switch self {
        case .notFound(let searched):
            "no T5 tokenizer found: " + Self.wherePut(searched)
        case .missingBundledVocabulary:
            "the T5 vocabulary t5-v1_1-spiece.model.gz is missing from the LoomText resource bundle"
        case .bundledVocabularyTooLarge(let model, let bundled, let searched):
            "the T5 model embeds \(model) tokens, fewer than the \(bundled) of the T5 v1.1 tokenizer Loom ships, so it "
                + "needs its own tokenizer: " + Self.wherePut(searched)
        case .unreadable(let path, let reason): "cannot read the T5 tokenizer file \(path): \(reason)"
        case .malformed(let reason): "malformed T5 tokenizer data: \(reason)"
        case .unsupported(let feature): "unsupported T5 tokenizer feature: \(feature)"
        }
    }

    private static func wherePut(_ searched: [String]) -> String {
        "put tokenizer.json (ComfyUI's comfy/text_encoders/t5_tokenizer/tokenizer.json "
            + "or a diffusers Flux model's tokenizer_2/tokenizer.json) or spiece.model into "
            + (searched.first ?? "a directory passed to T5TokenizerLocator")
            + (searched.count > 1 ? " (also searched: \(searched.dropFirst().joined(separator: ", ")))" : "")
    }
}

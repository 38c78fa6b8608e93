import Foundation

/// CLIP's byte-level BPE tokenizer, token for token like Hugging Face's `CLIPTokenizer`, which
/// ComfyUI uses for CLIP-L and CLIP-G. transformers 4 (without ftfy) cleans text with its
/// `BasicTokenizer` and matches contractions ignoring case; transformers 5 uses the tokenizers
/// library's normaliser and matches case-sensitively.
public struct CLIPTokenizer: Sendable {
    public static let startToken = 49406
    public static let endToken = 49407
    /// Tokens per encoder window, start and end tokens included.
    public static let windowLength = 77

    private static let specialTokens = ["<|startoftext|>": startToken, "<|endoftext|>": endToken]

    public var compatibility: TransformersCompatibility = .transformers4
    private let encoder: BytePairEncoder
    private let vocabulary: [String: Int]

    /// Builds the vocabulary from the text of OpenAI's `bpe_simple_vocab_16e6.txt` as open_clip and
    /// the published `vocab.json` do: the 256 byte symbols, the same with `</w>`, one entry per
    /// merge, then the two special tokens.
    public init(mergesText: String) throws(CLIPTokenizerError) {
        let mergeCount = 49152 - 256 - 2
        var tokens = ByteLevelAlphabet.vocabularyOrder.map { String($0) }
        tokens += tokens.map { $0 + "</w>" }
        tokens.reserveCapacity(tokens.count + mergeCount + 2)
        var pairs: [BytePairEncoder.Pair?] = []
        pairs.reserveCapacity(mergeCount)
        // One pass over the bytes, the first line (a version header) skipped: the generic split and per-line
        // substrings took a tenth of a second of every process's start.
        var text = mergesText
        let lines = text.withUTF8 { bytes in
            var line = 0, start = 0
            while start <= bytes.count, line <= mergeCount {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                if line > 0 {
                    let merge = bytes[start..<end]
                    let space = merge.firstIndex(of: UInt8(ascii: " "))
                    if let space, !merge[(space + 1)...].contains(UInt8(ascii: " ")) {
                        let pair = BytePairEncoder.Pair(
                            left: String(decoding: merge[..<space], as: UTF8.self),
                            right: String(decoding: merge[(space + 1)...], as: UTF8.self))
                        pairs.append(pair)
                        tokens.append(pair.left + pair.right)
                    } else {
                        // Not "left right": no merge, but the vocabulary still has the line without its spaces.
                        pairs.append(nil)
                        tokens.append(String(decoding: merge.filter { $0 != UInt8(ascii: " ") }, as: UTF8.self))
                    }
                }
                line += 1
                start = end + 1
            }
            return line
        }
        guard lines > mergeCount else { throw .tooFewMerges(found: max(0, lines - 1), expected: mergeCount) }
        tokens += ["<|startoftext|>", "<|endoftext|>"]
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(tokens.count)
        // A repeated token keeps its last id.
        for (id, token) in tokens.enumerated() { vocabulary[token] = id }
        self.vocabulary = vocabulary
        encoder = BytePairEncoder(pairs: pairs)
    }

    /// The tokenizer with the vocabulary shipped in this package (open_clip's copy, MIT licence).
    public static func bundled() throws(CLIPTokenizerError) -> CLIPTokenizer {
        try bundledResult.get()
    }

    static var bundledVocabularyURL: URL? { BundledVocabulary.url }

    private static let bundledResult: Result<CLIPTokenizer, CLIPTokenizerError> = Result { () throws(CLIPTokenizerError) in
        guard let url = bundledVocabularyURL else {
            throw .missingBundledVocabulary
        }
        let compressed: Data
        do { compressed = try Data(contentsOf: url) } catch { throw .unreadableVocabulary(url.path, "\(error)") }
        let text: [UInt8]
        do { text = try Gzip.decompress(Array(compressed)) } catch { throw .unreadableVocabulary(url.path, "\(error)") }
        return try CLIPTokenizer(mergesText: String(decoding: text, as: UTF8.self))
    }

    /// Token ids of `text` without start and end tokens. Special-token strings in the text map to
    /// their ids, as in Hugging Face's tokenizer.
    public func encode(_ text: String) -> [Int] {
        let basic = compatibility == .transformers4
        var ids: [Int] = []
        for segment in SpecialTokenSplitter.split(text, specialTokens: Self.specialTokens) {
            switch segment {
            case .special(let id): ids.append(id)
            case .text(let piece):
                let cleaned = basic ? CLIPTextCleaner.clean(piece) : CLIPTokenizersNormalizer.normalize(String(piece))
                for word in CLIPPreTokenizer.words(in: cleaned, ignoringCase: basic) {
                    if let special = Self.specialTokens[String(word)] {
                        // Lower-casing can spell a special token. The Python tokenizer's BPE cache
                        // maps it to its id; tokenizers' GPT-2 split cuts it into "<|", name, "|>".
                        if basic {
                            ids.append(special)
                        } else {
                            for part in CLIPPreTokenizer.classRuns(in: word) { ids += encodeWord(part) }
                        }
                        continue
                    }
                    ids += encodeWord(word)
                }
            }
        }
        return ids
    }

    private func encodeWord(_ word: Substring) -> [Int] {
        encoder.encode(ByteLevelAlphabet.encode(word)).map {
            vocabulary[$0] ?? Self.endToken  // the unknown token is <|endoftext|>
        }
    }
}

public enum CLIPTokenizerError: Error, Equatable, CustomStringConvertible {
    case missingBundledVocabulary
    case unreadableVocabulary(String, String)
    case tooFewMerges(found: Int, expected: Int)

    public var description: String {
        switch self {
        case .missingBundledVocabulary:
            "the CLIP vocabulary bpe_simple_vocab_16e6.txt.gz is missing; looked in "
                + BundledVocabulary.candidates.map(\.path).joined(separator: ", ")
        case .unreadableVocabulary(let path, let reason): "cannot read the CLIP vocabulary \(path): \(reason)"
        case .tooFewMerges(let found, let expected): "the CLIP merges file has \(found) merges, expected at least \(expected)"
        }
    }
}

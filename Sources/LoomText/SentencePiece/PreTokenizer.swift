import Foundation

/// The Hugging Face `tokenizer.json` pre-tokenisers that SentencePiece conversions produce.
enum PreTokenizer: Sendable {
    /// Splits on Unicode whitespace and drops it.
    case whitespaceSplit
    /// Replaces spaces with `replacement`, optionally prefixes it, and optionally splits before each one.
    case metaspace(replacement: String, prependsToEveryWord: Bool, prependsToFirstWordOnly: Bool, splits: Bool)
    case sequence([PreTokenizer])

    func split(_ words: [String]) -> [String] {
        switch self {
        case .whitespaceSplit:
            return words.flatMap { word in
                word.unicodeScalars.split { $0.properties.isWhitespace }.map { String($0) }
            }
        case .metaspace(let replacement, let prependsToEveryWord, let prependsToFirstWordOnly, let splits):
            return words.enumerated().flatMap { index, word -> [String] in
                var text = word.replacingOccurrences(of: " ", with: replacement)
                let prepends = prependsToEveryWord || (prependsToFirstWordOnly && index == 0)
                if prepends, !text.hasPrefix(replacement) { text = replacement + text }
                return splits ? Self.splitBefore(replacement, in: text) : [text]
            }
        case .sequence(let steps):
            return steps.reduce(words) { $1.split($0) }
        }
    }

    /// Splits so that each occurrence of `marker` starts a new piece (tokenizers' MergedWithNext).
    private static func splitBefore(_ marker: String, in text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            if String(scalar) == marker, !current.isEmpty {
                pieces.append(current)
                current = ""
            }
            current.unicodeScalars.append(scalar)
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }
}

import Foundation

/// The Hugging Face `tokenizer.json` pre-tokenisers that SentencePiece conversions produce.
enum PreTokenizer: Sendable {
    /// Splits on Unicode whitespace and drops it.
    case whitespaceSplit
    /// Replaces spaces with `replacement`, optionally prefixes it, and optionally splits before each one.
    case metaspace(replacement: Unicode.Scalar, prependsToEveryWord: Bool, prependsToFirstWordOnly: Bool, splits: Bool)
    case sequence([PreTokenizer])

    func split(_ words: [String]) -> [String] {
        switch self {
        case .whitespaceSplit:
            return words.flatMap { word in
                word.unicodeScalars.split { $0.properties.isWhitespace }.map { String($0) }
            }
        case .metaspace(let replacement, let prependsToEveryWord, let prependsToFirstWordOnly, let splits):
            return words.enumerated().flatMap { index, word -> [String] in
                var text = [Unicode.Scalar](word).replacing([" "], with: [replacement])
                let prepends = prependsToEveryWord || (prependsToFirstWordOnly && index == 0)
                if prepends, text.first != replacement { text.insert(replacement, at: 0) }
                return splits ? Self.splitBefore(replacement, in: text) : [text.string]
            }
        case .sequence(let steps):
            return steps.reduce(words) { $1.split($0) }
        }
    }

    /// Splits so that each occurrence of `marker` starts a new piece (tokenizers' MergedWithNext).
    private static func splitBefore(_ marker: Unicode.Scalar, in text: [Unicode.Scalar]) -> [String] {
        var pieces: [String] = []
        var current: [Unicode.Scalar] = []
        for scalar in text {
            if scalar == marker, !current.isEmpty {
                pieces.append(current.string)
                current = []
            }
            current.append(scalar)
        }
        if !current.isEmpty { pieces.append(current.string) }
        return pieces
    }
}

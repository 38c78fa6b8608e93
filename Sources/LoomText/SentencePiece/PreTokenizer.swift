import Foundation

/// The Hugging Face `tokenizer.json` pre-tokenisers that SentencePiece conversions produce.
enum PreTokenizer: Sendable {
    /// Splits on Unicode whitespace and drops it.
    case whitespaceSplit
    /// Replaces spaces with `replacement`, prefixes it (to every word, or only to text that starts
    /// the input: not after a special token), and optionally splits before each one.
    case metaspace(replacement: Unicode.Scalar, prepend: MetaspacePrepend, splits: Bool)
    case sequence([PreTokenizer])

    enum MetaspacePrepend: Sendable {
        case always, first, never
    }

    /// `startsInput`: whether `words` come from text at the very start of the input.
    func split(_ words: [String], startsInput: Bool) -> [String] {
        switch self {
        case .whitespaceSplit:
            return words.flatMap { word in
                word.unicodeScalars.split { $0.properties.isWhitespace }.map { String($0) }
            }
        case .metaspace(let replacement, let prepend, let splits):
            return words.enumerated().flatMap { index, word -> [String] in
                var text = [Unicode.Scalar](word).replacing([" "], with: [replacement])
                let prepends = prepend == .always || (prepend == .first && startsInput && index == 0)
                // Like tokenizers' NormalizedString.prepend, nothing is prefixed to empty text.
                if prepends, let first = text.first, first != replacement { text.insert(replacement, at: 0) }
                return splits ? Self.splitBefore(replacement, in: text) : [text.string]
            }
        case .sequence(let steps):
            return steps.reduce(words) { $1.split($0, startsInput: startsInput) }
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

import Foundation

/// The Hugging Face `tokenizer.json` normalisers that SentencePiece conversions produce.
enum TextNormalizer: Sendable {
    case precompiled(PrecompiledCharsMap)
    case strip(left: Bool, right: Bool)
    /// Replaces every run of at least `minimumCount` copies of `character`.
    case replaceRun(of: Unicode.Scalar, minimumCount: Int, with: String)
    case replace(String, with: String)
    case prepend(String)
    case sequence([TextNormalizer])

    /// The first precompiled charsmap in this normaliser, if any.
    var precompiledCharsMap: PrecompiledCharsMap? {
        switch self {
        case .precompiled(let map): map
        case .sequence(let steps): steps.lazy.compactMap(\.precompiledCharsMap).first
        default: nil
        }
    }

    func normalize(_ text: String) -> String {
        switch self {
        case .precompiled(let map): return map.normalize(text)
        case .strip(let left, let right):
            var scalars = Substring(text).unicodeScalars
            if left { scalars = scalars.drop { $0.properties.isWhitespace } }
            if right { while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() } }
            return String(scalars)
        case .replaceRun(let character, let minimumCount, let replacement):
            var result = String.UnicodeScalarView()
            var run = 0
            func flush() {
                result += run >= minimumCount ? Array(replacement) : Array(repeating: character, count: run)
                run = 0
            }
            for scalar in text.unicodeScalars {
                if scalar == character {
                    run += 1
                } else {
                    flush()
                    result.append(scalar)
                }
            }
            flush()
            return String(result)
        case .replace(let pattern, let replacement): return text.replacingScalars(pattern, with: replacement)
        case .prepend(let prefix): return text.isEmpty ? text : prefix + text
        case .sequence(let normalizers): return normalizers.reduce(text) { $1.normalize($0) }
        }
    }
}

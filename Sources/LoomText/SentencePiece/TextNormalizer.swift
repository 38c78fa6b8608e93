import Foundation

/// The Hugging Face `tokenizer.json` normalisers that SentencePiece conversions produce.
enum TextNormalizer: Sendable {
    case precompiled(PrecompiledCharsMap)
    case strip(left: Bool, right: Bool)
    /// Replaces every run of at least `minimumCount` copies of `character` (a literal when 1).
    case replaceRun(of: String, minimumCount: Int, with: String)
    case replace(String, with: String)
    case prepend(String)
    case sequence([TextNormalizer])

    func normalize(_ text: String) -> String {
        switch self {
        case .precompiled(let map): return map.normalize(text)
        case .strip(let left, let right):
            var scalars = Substring(text).unicodeScalars
            if left { scalars = scalars.drop { $0.properties.isWhitespace } }
            if right { while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() } }
            return String(scalars)
        case .replaceRun(let character, let minimumCount, let replacement):
            var result = ""
            var run = 0
            for scalar in text.unicodeScalars {
                if String(scalar) == character {
                    run += 1
                    continue
                }
                result += run >= minimumCount ? replacement : String(repeating: character, count: run)
                run = 0
                result.unicodeScalars.append(scalar)
            }
            return result + (run >= minimumCount ? replacement : String(repeating: character, count: run))
        case .replace(let pattern, let replacement): return text.replacingOccurrences(of: pattern, with: replacement)
        case .prepend(let prefix): return text.isEmpty ? text : prefix + text
        case .sequence(let normalizers): return normalizers.reduce(text) { $1.normalize($0) }
        }
    }
}

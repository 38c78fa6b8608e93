import Foundation

/// The text clean-up Hugging Face's `CLIPTokenizer` (transformers 4, without ftfy) applies before
/// pre-tokenisation: its `BasicTokenizer` with lower-casing, no accent stripping and no punctuation
/// splitting. The result is the words joined by single spaces.
enum CLIPTextCleaner {
    static func clean(_ text: Substring) -> String {
        var spaced = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar) { continue }
            if isBasicWhitespace(scalar) {
                spaced.append(" ")
            } else if isCJKIdeograph(scalar) {
                // Ideographs become words of their own, so BPE never merges across them.
                spaced.append(" ")
                spaced.append(scalar)
                spaced.append(" ")
            } else {
                spaced.append(scalar)
            }
        }
        let normalized = String(spaced).precomposedStringWithCanonicalMapping
        return PythonText.split(normalized).map(PythonText.lowercased).joined(separator: " ")
    }

    /// Tab, newline and carriage return count as whitespace, not control characters.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    private static func isBasicWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
            || scalar.properties.generalCategory == .spaceSeparator
    }

    /// The CJK Unified Ideograph blocks BERT's tokenizer isolates (not kana or hangul).
    private static func isCJKIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
            0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            true
        default: false
        }
    }
}

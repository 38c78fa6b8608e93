import Foundation

extension CLIPTokenizer {
    /// Which Hugging Face implementation of CLIP's text clean-up to reproduce. ComfyUI calls
    /// `transformers.CLIPTokenizer`, which is the Python tokenizer in transformers 4 and the
    /// Rust `tokenizers` one in transformers 5; they differ only on unusual text (CJK ideographs,
    /// control and format characters, final sigma, `'ſ`).
    public enum Normalization: Sendable, Equatable {
        /// transformers 4 without ftfy: `BasicTokenizer` clean-up (control characters removed,
        /// CJK ideographs isolated, Python lower-casing), contractions matched ignoring case.
        case basicTokenizer
        /// transformers 5: NFC, whitespace runs to one space, per-scalar lower-casing, contractions
        /// matched case-sensitively, and GPT-2's word split applied on top.
        case tokenizersLibrary
    }

    /// The `tokenizersLibrary` normaliser: NFC, `\s+` → " ", lower case scalar by scalar.
    static func tokenizersNormalize(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var inWhitespace = false
        for scalar in text.precomposedStringWithCanonicalMapping.unicodeScalars {
            if scalar.properties.isWhitespace {
                if !inWhitespace { result.append(" ") }
                inWhitespace = true
            } else {
                inWhitespace = false
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(result)
    }
}

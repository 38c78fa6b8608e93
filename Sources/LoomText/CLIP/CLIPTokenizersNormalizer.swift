import Foundation

/// The normaliser of CLIP's tokenizers-library pipeline (transformers 5): NFC, `\s+` → " ",
/// lower case scalar by scalar (no final-sigma rule).
enum CLIPTokenizersNormalizer {
    static func normalize(_ text: String) -> String {
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

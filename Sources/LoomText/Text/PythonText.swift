import Foundation

/// Python `str` operations whose Unicode rules differ from Swift's, reproduced because the
/// reference tokenizers and ComfyUI's prompt parser are written in Python.
enum PythonText {
    /// `str.isspace()`: bidirectional class WS, B or S, or general category Zs.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default: false
        }
    }

    /// `str.split()` without arguments: runs of whitespace separate, empty words are dropped.
    static func split<S: StringProtocol>(_ text: S) -> [Substring] {
        var words: [Substring] = []
        let scalars = text.unicodeScalars
        var start: String.UnicodeScalarView.Index?
        let whole = Substring(text)
        var index = scalars.startIndex
        while index != scalars.endIndex {
            if isSpace(scalars[index]) {
                if let wordStart = start { words.append(whole[wordStart..<index]) }
                start = nil
            } else if start == nil {
                start = index
            }
            index = scalars.index(after: index)
        }
        if let wordStart = start { words.append(whole[wordStart...]) }
        return words
    }

    /// `str.strip()` without arguments.
    static func strip<S: StringProtocol>(_ text: S) -> Substring {
        let scalars = Substring(text).unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
            let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return Substring(scalars[first...last])
    }

    /// `str.strip(characters)`.
    static func strip(_ text: String, characters: Set<Unicode.Scalar>) -> String {
        var scalars = Substring(text).unicodeScalars
        while let first = scalars.first, characters.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, characters.contains(last) { scalars.removeLast() }
        return String(scalars)
    }

    /// `str.lower()`: full lower-case mappings plus the Final_Sigma context for capital sigma.
    static func lowercased<S: StringProtocol>(_ text: S) -> String {
        let scalars = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            if scalar.value == 0x3A3 {
                result.append(isFinalSigma(at: index, in: scalars) ? "\u{3C2}" : "\u{3C3}")
            } else {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(result)
    }

    /// Σ is final when a cased letter precedes it and none follows, ignoring case-ignorable marks.
    private static func isFinalSigma(at index: Int, in scalars: [Unicode.Scalar]) -> Bool {
        let before = scalars[..<index].last { !$0.properties.isCaseIgnorable }
        guard let before, before.properties.isCased else { return false }
        let after = scalars[(index + 1)...].first { !$0.properties.isCaseIgnorable }
        return !(after?.properties.isCased ?? false)
    }
}

extension PythonText {
    /// Python's `float(str)` for ASCII input: surrounding whitespace, a sign, decimal digits with
    /// single underscores between them, an optional fraction and exponent, or inf/infinity/nan.
    static func float(_ text: String) -> Double? {
        var body = Substring(strip(text))
        var sign = 1.0
        if let first = body.first, first == "+" || first == "-" {
            sign = first == "-" ? -1 : 1
            body = body.dropFirst()
        }
        switch body.lowercased() {
        case "inf", "infinity": return sign * .infinity
        case "nan": return .nan
        default: break
        }
        guard isDecimalLiteral(body) else { return nil }
        return Double(String(body).replacingScalars("_", with: "")).map { sign * $0 }
    }

    private static func isDecimalLiteral(_ text: Substring) -> Bool {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func digits() -> Int {
            var count = 0
            while index < scalars.count {
                if ("0"..."9").contains(scalars[index]) {
                    count += 1
                    index += 1
                } else if scalars[index] == "_", count > 0, index + 1 < scalars.count, ("0"..."9").contains(scalars[index + 1]) {
                    index += 1
                } else {
                    break
                }
            }
            return count
        }
        var mantissaDigits = digits()
        if index < scalars.count, scalars[index] == "." {
            index += 1
            mantissaDigits += digits()
        }
        guard mantissaDigits > 0 else { return false }
        if index < scalars.count, scalars[index] == "e" || scalars[index] == "E" {
            index += 1
            if index < scalars.count, scalars[index] == "+" || scalars[index] == "-" { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == scalars.count
    }
}

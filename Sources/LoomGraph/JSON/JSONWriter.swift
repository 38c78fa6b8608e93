extension JSONValue {
    /// JSON text in the layout Python's `json.dumps` uses, so files written by Loom diff cleanly
    /// against ComfyUI's. `indent: nil` gives the compact `{"a": 1, "b": 2}` form.
    public func jsonText(indent: Int? = 2) -> String {
        var output = ""
        write(to: &output, indent: indent, level: 0)
        return output
    }

    private func write(to output: inout String, indent: Int?, level: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .unsignedInt(let value): output += String(value)
        case .double(let value): output += Self.formatDouble(value)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let values):
            guard !values.isEmpty else { output += "[]"; return }
            output += "["
            for (offset, value) in values.enumerated() {
                if offset > 0 { output += indent == nil ? ", " : "," }
                Self.newline(&output, indent: indent, level: level + 1)
                value.write(to: &output, indent: indent, level: level + 1)
            }
            Self.newline(&output, indent: indent, level: level)
            output += "]"
        case .object(let object):
            guard !object.isEmpty else { output += "{}"; return }
            output += "{"
            for (offset, entry) in object.entries.enumerated() {
                if offset > 0 { output += indent == nil ? ", " : "," }
                Self.newline(&output, indent: indent, level: level + 1)
                Self.writeString(entry.key, to: &output)
                output += ": "
                entry.value.write(to: &output, indent: indent, level: level + 1)
            }
            Self.newline(&output, indent: indent, level: level)
            output += "}"
        }
    }

    private static func newline(_ output: inout String, indent: Int?, level: Int) {
        guard let indent else { return }
        output += "\n"
        output += String(repeating: " ", count: indent * level)
    }

    /// Python's float repr: shortest round-trip digits, always with a decimal point or exponent.
    static func formatDouble(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        var text = "\(value)"
        if text.contains("e") {
            // Swift writes 1e-05 as "1e-05"; Python too, but Swift omits the sign for positive exponents.
            if let range = text.range(of: "e"), !text[range.upperBound...].hasPrefix("-"),
                !text[range.upperBound...].hasPrefix("+")
            {
                text.insert("+", at: range.upperBound)
            }
            return text
        }
        if !text.contains(".") { text += ".0" }
        return text
    }

    private static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where scalar.value < 0x20:
                output += "\\u" + hex4(scalar.value)
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

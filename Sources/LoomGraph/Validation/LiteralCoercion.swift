import Foundation

/// Converts a literal from a workflow into the value a node receives, the way ComfyUI converts
/// widget values (`int(x)`, `float(x)`, `str(x)`, `bool(x)`).
public enum LiteralCoercion {
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public static func value(_ literal: JSONValue, for kind: InputKind?) -> Result<NodeValue, Failure> {
        switch kind {
        case .int:
            return integer(literal).flatMap { number in
                guard let value = number.nodeValue else {
                    return .failure(Failure(message: "Value \(number) does not fit a 64-bit integer"))
                }
                return .success(value)
            }
        case .float:
            switch literal {
            case .int(let value): return .success(Double(value))
            case .unsignedInt(let value): return .success(Double(value))
            case .double(let value): return .success(value)
            case .bool(let value): return .success(value ? 1.0 : 0.0)
            case .string(let text):
                if let value = Double(text.trimmingCharacters(in: .whitespaces)) { return .success(value) }
                return .failure(Failure(message: "could not convert string to float: '\(text)'"))
            default:
                return .failure(Failure(message: "float() argument must be a string or a real number, not '\(literal.pythonTypeName)'"))
            }
        case .string:
            if case .string(let text) = literal { return .success(text) }
            return .success(pythonString(literal))
        case .boolean:
            return .success(truthiness(literal))
        case .combo:
            if case .string(let text) = literal { return .success(text) }
            return .success(pythonString(literal))
        case .link, .hidden, nil:
            return .success(plainValue(literal))
        }
    }

    /// Python's `int()` of a literal, exactly, however large.
    public static func integer(_ literal: JSONValue) -> Result<LiteralInteger, Failure> {
        switch literal {
        case .int(let value): return .success(.int(value))
        case .unsignedInt(let value): return .success(.unsigned(value))
        case .bool(let value): return .success(.int(value ? 1 : 0))
        case .double(let value):
            if value.isNaN { return .failure(Failure(message: "cannot convert float NaN to integer")) }
            guard let number = LiteralInteger(truncating: value) else {
                return .failure(Failure(message: "cannot convert float infinity to integer"))
            }
            return .success(number)
        case .string(let text):
            if let number = LiteralInteger(decimal: text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return .success(number)
            }
            return .failure(Failure(message: "invalid literal for int() with base 10: '\(text)'"))
        default:
            return .failure(Failure(message: "int() argument must be a string, a bytes-like object or a real number, not '\(literal.pythonTypeName)'"))
        }
    }

    /// A literal given to a socket or an undeclared input keeps its JSON kind.
    public static func plainValue(_ literal: JSONValue) -> NodeValue {
        switch literal {
        case .int(let value): value
        case .unsignedInt(let value): Double(value)
        case .double(let value): value
        case .string(let value): value
        case .bool(let value): value
        default: literal
        }
    }

    static func truthiness(_ literal: JSONValue) -> Bool {
        switch literal {
        case .null: false
        case .bool(let value): value
        case .int(let value): value != 0
        case .unsignedInt: true
        case .double(let value): value != 0
        case .string(let value): !value.isEmpty
        case .array(let value): !value.isEmpty
        case .object(let value): !value.isEmpty
        }
    }

    /// Python's `str()` of a JSON-decoded value, as ComfyUI's messages print it.
    public static func pythonString(_ literal: JSONValue) -> String {
        switch literal {
        case .null: "None"
        case .bool(let value): value ? "True" : "False"
        case .int(let value): String(value)
        case .unsignedInt(let value): String(value)
        case .double(let value): value.isNaN ? "nan" : value.isInfinite ? (value > 0 ? "inf" : "-inf") : JSONValue.formatDouble(value)
        case .string(let value): value
        case .array(let items): "[" + items.map(pythonRepr).joined(separator: ", ") + "]"
        case .object(let object): "{" + object.map { "'\($0.key)': \(pythonRepr($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    static func pythonRepr(_ literal: JSONValue) -> String {
        if case .string(let value) = literal { return "'\(value)'" }
        return pythonString(literal)
    }

    /// A number for messages, written as Python would (`5`, `5.0`).
    static func pythonNumber(_ value: NodeValue) -> String {
        switch value {
        case let int as Int: String(int)
        case let double as Double: pythonString(.double(double))
        default: String(describing: value)
        }
    }
}

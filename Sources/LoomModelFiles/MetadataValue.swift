/// A metadata value: safetensors' `__metadata__` holds strings only; GGUF key-values are typed.
public indirect enum MetadataValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case array([MetadataValue])

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var arrayValue: [MetadataValue]? { if case .array(let a) = self { a } else { nil } }

    /// Integers of any signedness as Int when they fit.
    public var intValue: Int? {
        switch self {
        case .int(let i): Int(exactly: i)
        case .uint(let u): Int(exactly: u)
        default: nil
        }
    }
}

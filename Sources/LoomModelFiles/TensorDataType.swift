/// How a tensor's elements are stored. Dense types use the safetensors names; block-quantised types
/// (GGUF only) use ggml's names and store `blockSize` elements in `blockByteCount` bytes, as laid out
/// by ggml's block structs.
public enum TensorDataType: String, Sendable, CaseIterable, Hashable {
    case bool = "BOOL"
    case uint8 = "U8"
    case int8 = "I8"
    case float8E4M3 = "F8_E4M3"
    case float8E5M2 = "F8_E5M2"
    case int16 = "I16"
    case uint16 = "U16"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int32 = "I32"
    case uint32 = "U32"
    case float32 = "F32"
    case float64 = "F64"
    case int64 = "I64"
    case uint64 = "U64"
    case q8_0 = "Q8_0"
    case q4_0 = "Q4_0"
    case q4_1 = "Q4_1"
    case q5_0 = "Q5_0"
    case q5_1 = "Q5_1"
    case q2_K = "Q2_K"
    case q3_K = "Q3_K"
    case q4_K = "Q4_K"
    case q5_K = "Q5_K"
    case q6_K = "Q6_K"

    public var name: String { rawValue }

    public var isBlockQuantized: Bool { blockSize > 1 }

    /// Whether the elements are real numbers (floats of any width, or ggml's quantised blocks of them), as a
    /// network's weights must be; booleans and integers are not.
    public var holdsRealNumbers: Bool {
        switch self {
        case .bool, .uint8, .int8, .int16, .uint16, .int32, .uint32, .int64, .uint64: false
        default: true
        }
    }

    /// Elements per storage block: 1 for dense types.
    public var blockSize: Int {
        switch self {
        case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1: 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: 256
        default: 1
        }
    }

    /// Bytes per block (per element for dense types).
    public var blockByteCount: Int {
        switch self {
        case .bool, .uint8, .int8, .float8E4M3, .float8E5M2: 1
        case .int16, .uint16, .float16, .bfloat16: 2
        case .int32, .uint32, .float32: 4
        case .float64, .int64, .uint64: 8
        case .q8_0: 2 + 32  // f16 scale, 32 × int8
        case .q4_0: 2 + 16  // f16 scale, 32 × 4-bit
        case .q4_1: 2 + 2 + 16  // f16 scale, f16 minimum, 32 × 4-bit
        case .q5_0: 2 + 4 + 16  // f16 scale, 32 high bits, 32 × 4 low bits
        case .q5_1: 2 + 2 + 4 + 16
        // K-quants: 256-element super-blocks of 16 or 8 sub-blocks with their own scales.
        case .q2_K: 16 + 64 + 2 + 2  // 4-bit scale/min pairs, 2-bit values, f16 scale, f16 min
        case .q3_K: 32 + 64 + 12 + 2  // high-bit mask, 2-bit low values, packed 6-bit scales, f16 scale
        case .q4_K: 2 + 2 + 12 + 128  // f16 scale, f16 min, packed 6-bit scales/mins, 4-bit values
        case .q5_K: 2 + 2 + 12 + 32 + 128  // as Q4_K plus the fifth bits
        case .q6_K: 128 + 64 + 16 + 2  // low 4 bits, high 2 bits, int8 scales, f16 scale
        }
    }

    /// Storage bytes for `elementCount` elements, or nil when the count is not whole blocks or overflows.
    public func byteCount(elementCount: Int) -> Int? {
        guard elementCount >= 0, elementCount % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elementCount / blockSize).multipliedReportingOverflow(by: blockByteCount)
        return overflow ? nil : bytes
    }
}

/// The element count of a shape, or nil for negative dimensions or overflow (hostile headers).
func elementCount(of shape: [Int]) -> Int? {
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow else { return nil }
        count = product
    }
    return count
}

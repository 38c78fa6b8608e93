/// Element types of device tensors. Activations are f32; weights keep the dtype they are stored in.
public enum DType: String, Sendable, CaseIterable {
    case f32, f16, bf16

    public var byteSize: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        }
    }

    /// Encodes `values` in this dtype (round to nearest even), as the bytes a device buffer holds.
    public func encode(_ values: [Float]) -> [UInt8] {
        switch self {
        case .f32:
            return values.withUnsafeBytes { Array($0) }
        case .f16:
            return values.map { Float16($0).bitPattern }.withUnsafeBytes { Array($0) }
        case .bf16:
            return values.map(bfloat16Bits).withUnsafeBytes { Array($0) }
        }
    }

    /// Decodes bytes as `encode` writes them.
    public func decode(_ bytes: [UInt8]) -> [Float] {
        bytes.withUnsafeBytes { raw in
            switch self {
            case .f32: Array(raw.bindMemory(to: Float.self))
            case .f16: raw.bindMemory(to: UInt16.self).map { Float(Float16(bitPattern: $0)) }
            case .bf16: raw.bindMemory(to: UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
            }
        }
    }

    /// The value `x` becomes once stored in this dtype.
    public func rounded(_ x: Float) -> Float {
        switch self {
        case .f32: x
        case .f16: Float(Float16(x))
        case .bf16: Float(bitPattern: UInt32(bfloat16Bits(x)) << 16)
        }
    }
}

/// bfloat16 bits of a Float, rounded to nearest even; NaN stays NaN.
func bfloat16Bits(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    if x.isNaN { return UInt16(bits >> 16) | 0x40 }
    let roundingBias = 0x7FFF + ((bits >> 16) & 1)
    return UInt16((bits &+ roundingBias) >> 16)
}

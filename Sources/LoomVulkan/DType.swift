/// Element types of device tensors. Activations are f32; weights keep the dtype they are stored in.
public enum DType: String, Sendable, CaseIterable {
    case f32, f16, bf16
    /// float8 e4m3fn (no infinities, 0x7F and 0xFF are NaN), as in "fp8" Flux checkpoints.
    case f8E4M3 = "f8_e4m3"

    public var byteSize: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .f8E4M3: 1
        }
    }

    /// Encodes `values` in this dtype (round to nearest even; f8 saturates at ±448), as the bytes
    /// a device buffer holds.
    public func encode(_ values: [Float]) -> [UInt8] {
        switch self {
        case .f32:
            return values.withUnsafeBytes { Array($0) }
        case .f16:
            return values.map { Float16($0).bitPattern }.withUnsafeBytes { Array($0) }
        case .bf16:
            return values.map(bfloat16Bits).withUnsafeBytes { Array($0) }
        case .f8E4M3:
            return values.map(float8E4M3Bits)
        }
    }

    /// Decodes bytes as `encode` writes them.
    public func decode(_ bytes: [UInt8]) -> [Float] {
        bytes.withUnsafeBytes { raw in
            switch self {
            case .f32: Array(raw.bindMemory(to: Float.self))
            case .f16: raw.bindMemory(to: UInt16.self).map { Float(Float16(bitPattern: $0)) }
            case .bf16: raw.bindMemory(to: UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
            case .f8E4M3: raw.map { float8E4M3Values[Int($0)] }
            }
        }
    }

    /// The value `x` becomes once stored in this dtype.
    public func rounded(_ x: Float) -> Float {
        switch self {
        case .f32: x
        case .f16: Float(Float16(x))
        case .bf16: Float(bitPattern: UInt32(bfloat16Bits(x)) << 16)
        case .f8E4M3: float8E4M3Values[Int(float8E4M3Bits(x))]
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

/// The value of every float8 e4m3fn bit pattern.
let float8E4M3Values: [Float] = (0...255).map { (bits: Int) -> Float in
    let magnitude = bits & 0x7F
    if magnitude == 0x7F { return .nan }
    let exponent = magnitude >> 3, mantissa = Float(magnitude & 7)
    let value = exponent == 0
        ? Float(sign: .plus, exponent: -6, significand: mantissa / 8)
        : Float(sign: .plus, exponent: exponent - 7, significand: 1 + mantissa / 8)
    return bits & 0x80 == 0 ? value : -value
}

/// float8 e4m3fn bits of a Float: nearest value, ties to even, saturating at ±448.
func float8E4M3Bits(_ x: Float) -> UInt8 {
    if x.isNaN { return 0x7F }
    let sign: UInt8 = x.sign == .minus ? 0x80 : 0
    let magnitude = min(abs(x), 448)
    // Patterns 0...0x7E are increasing magnitudes: find the largest not above `magnitude`.
    var low = 0, high = 0x7E
    while low < high {
        let middle = (low + high + 1) / 2
        if float8E4M3Values[middle] <= magnitude { low = middle } else { high = middle - 1 }
    }
    if low < 0x7E {
        let below = magnitude - float8E4M3Values[low], above = float8E4M3Values[low + 1] - magnitude
        if above < below || (above == below && low & 1 == 1) { low += 1 }
    }
    return sign | UInt8(low)
}

/// Element types of device tensors. Activations are f32; weights keep the dtype they are stored
/// in, including GGUF's block-quantised Q8_0 and Q4_0 (32 elements share one f16 scale).
public enum DType: String, Sendable, CaseIterable {
    case f32, f16, bf16
    /// float8 e4m3fn (no infinities, 0x7F and 0xFF are NaN), as in "fp8" Flux checkpoints.
    case f8E4M3 = "f8_e4m3"
    /// Blocks of an f16 scale d and 32 int8 q; value = d·q (34 bytes per block).
    case q8_0
    /// Blocks of an f16 scale d and 32 4-bit q, elements 0–15 in the low nibbles of the 16 bytes
    /// and 16–31 in the high ones; value = d·(q − 8) (18 bytes per block).
    case q4_0

    /// Elements stored together; tensors of a block type hold whole blocks, rows included.
    public var elementsPerBlock: Int {
        switch self {
        case .f32, .f16, .bf16, .f8E4M3: 1
        case .q8_0, .q4_0: 32
        }
    }

    public var bytesPerBlock: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .f8E4M3: 1
        case .q8_0: 34
        case .q4_0: 18
        }
    }

    /// Bytes of `elements` elements, which must be whole blocks.
    public func byteCount(elements: Int) -> Int {
        precondition(elements % elementsPerBlock == 0, "\(elements) elements are not whole \(self) blocks")
        return elements / elementsPerBlock * bytesPerBlock
    }

    /// Encodes `values` in this dtype, as the bytes a device buffer holds: round to nearest even
    /// (f8 saturates at ±448); block types quantise like ggml's reference quantisers.
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
        case .q8_0, .q4_0:
            precondition(values.count % 32 == 0, "\(values.count) values are not whole \(self) blocks")
            return stride(from: 0, to: values.count, by: 32).flatMap { start in
                self == .q8_0 ? quantizeQ8_0(values[start..<(start + 32)]) : quantizeQ4_0(values[start..<(start + 32)])
            }
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
            case .q8_0, .q4_0:
                stride(from: 0, to: raw.count, by: bytesPerBlock).flatMap { start in
                    dequantizeBlock(UnsafeRawBufferPointer(rebasing: raw[start..<(start + bytesPerBlock)]))
                }
            }
        }
    }

    /// The 32 values of one Q8_0 or Q4_0 block.
    private func dequantizeBlock(_ block: UnsafeRawBufferPointer) -> [Float] {
        let scale = Float(Float16(bitPattern: UInt16(block[0]) | UInt16(block[1]) << 8))
        return (0..<32).map { (j: Int) -> Float in
            if self == .q8_0 { return scale * Float(Int8(bitPattern: block[2 + j])) }
            let nibble = j < 16 ? block[2 + j] & 15 : block[2 + j - 16] >> 4
            return scale * Float(Int(nibble) - 8)
        }
    }

    /// `values` as they come back after being stored in this dtype.
    public func roundTrip(_ values: [Float]) -> [Float] { decode(encode(values)) }
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

/// Little-endian f16 bytes.
private func halfBytes(_ x: Float) -> [UInt8] {
    let bits = Float16(x).bitPattern
    return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
}

/// One Q8_0 block: d = max|x| / 127, q = round(x / d).
private func quantizeQ8_0(_ block: ArraySlice<Float>) -> [UInt8] {
    let scale = block.map(abs).max()! / 127
    let inverse: Float = scale == 0 ? 0 : 1 / scale
    return halfBytes(scale) + block.map { UInt8(bitPattern: Int8(($0 * inverse).rounded())) }
}

/// One Q4_0 block: d = (the value of largest magnitude) / −8, q = min(15, ⌊x / d + 8.5⌋).
private func quantizeQ4_0(_ block: ArraySlice<Float>) -> [UInt8] {
    let extreme = block.max { abs($0) < abs($1) }!
    let scale = extreme / -8
    let inverse: Float = scale == 0 ? 0 : 1 / scale
    let q = block.map { UInt8(min(15, max(0, Int(($0 * inverse + 8.5).rounded(.down))))) }
    return halfBytes(scale) + (0..<16).map { q[$0] | q[$0 + 16] << 4 }
}

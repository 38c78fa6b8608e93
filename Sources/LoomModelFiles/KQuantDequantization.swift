/// CPU dequantisation of ggml's K-quants: 256-element super-blocks split into sub-blocks of 16 or 32
/// elements, each with its own scale (and minimum), the scales themselves quantised against the
/// super-block's f16 scale. Layouts follow ggml-common.h's block_q2_K … block_q6_K.
enum KQuantDequantization {
    static func decode(_ block: UnsafeRawBufferPointer, _ dataType: TensorDataType, into y: UnsafeMutableBufferPointer<Float>) {
        switch dataType {
        case .q2_K: decodeQ2K(block, into: y)
        case .q3_K: decodeQ3K(block, into: y)
        case .q4_K: decodeQ4K(block, into: y, withHighBits: false)
        case .q5_K: decodeQ4K(block, into: y, withHighBits: true)
        case .q6_K: decodeQ6K(block, into: y)
        default: preconditionFailure("\(dataType.name) is not a K-quant")
        }
    }

    /// scales[16] (low nibble scale, high nibble minimum), qs[64] of 2-bit values, d, dmin.
    private static func decodeQ2K(_ block: UnsafeRawBufferPointer, into y: UnsafeMutableBufferPointer<Float>) {
        let d = BlockDequantization.half(block, at: 80)
        let minimum = BlockDequantization.half(block, at: 82)
        var output = 0
        var scaleIndex = 0
        for half in 0..<2 {
            let qs = 16 + half * 32
            for shift in stride(from: 0, to: 8, by: 2) {
                for group in 0..<2 {
                    let scale = block[scaleIndex]
                    scaleIndex += 1
                    let dl = d * Float(scale & 0xF)
                    let ml = minimum * Float(scale >> 4)
                    for l in 0..<16 {
                        y[output] = dl * Float((block[qs + group * 16 + l] >> UInt8(shift)) & 3) - ml
                        output += 1
                    }
                }
            }
        }
    }

    /// hmask[32] (third bit, 1 = no offset), qs[64] of 2-bit values, scales[12] (16 packed 6-bit scales), d.
    private static func decodeQ3K(_ block: UnsafeRawBufferPointer, into y: UnsafeMutableBufferPointer<Float>) {
        let d = BlockDequantization.half(block, at: 108)
        // Scale i has its low 4 bits in nibble (i % 8) of bytes 0–7 (low nibbles first) and its high 2 bits
        // in bits 2·(i / 4 % 4)… of byte 8 + i % 4.
        var scales = [Int](repeating: 0, count: 16)
        for i in 0..<16 {
            let low = i < 8 ? block[96 + i] & 0xF : block[96 + i - 8] >> 4
            let high = (block[96 + 8 + i % 4] >> UInt8(2 * (i / 4))) & 3
            scales[i] = Int(low | high << 4) - 32
        }
        var output = 0
        var scaleIndex = 0
        var mask: UInt8 = 1
        for half in 0..<2 {
            let qs = 32 + half * 32
            for shift in stride(from: 0, to: 8, by: 2) {
                for group in 0..<2 {
                    let dl = d * Float(scales[scaleIndex])
                    scaleIndex += 1
                    for l in 0..<16 {
                        let index = group * 16 + l
                        let low = Int((block[qs + index] >> UInt8(shift)) & 3)
                        let offset = block[index] & mask != 0 ? 0 : 4
                        y[output] = dl * Float(low - offset)
                        output += 1
                    }
                }
                mask <<= 1
            }
        }
    }

    /// Scale and minimum j (0–7) of the 6-bit pairs packed into 12 bytes.
    private static func scaleAndMinimum(_ packed: UnsafeRawBufferPointer, _ j: Int) -> (Float, Float) {
        if j < 4 {
            return (Float(packed[j] & 63), Float(packed[j + 4] & 63))
        }
        let scale = (packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4)
        let minimum = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4)
        return (Float(scale), Float(minimum))
    }

    /// Q4_K: d, dmin, scales[12], qs[128]. Q5_K adds qh[32] before qs, one fifth bit per element.
    private static func decodeQ4K(_ block: UnsafeRawBufferPointer, into y: UnsafeMutableBufferPointer<Float>, withHighBits: Bool) {
        let d = BlockDequantization.half(block, at: 0)
        let minimum = BlockDequantization.half(block, at: 2)
        let packed = UnsafeRawBufferPointer(rebasing: block[4..<16])
        let highBits = 16
        let qs = withHighBits ? 48 : 16
        var output = 0
        for chunk in 0..<4 {
            for nibble in 0..<2 {
                let (scale, offset) = scaleAndMinimum(packed, 2 * chunk + nibble)
                let dl = d * scale
                let ml = minimum * offset
                let bit = UInt8(1) << UInt8(2 * chunk + nibble)
                for l in 0..<32 {
                    let byte = block[qs + chunk * 32 + l]
                    var value = nibble == 0 ? Int(byte & 0xF) : Int(byte >> 4)
                    if withHighBits, block[highBits + l] & bit != 0 { value += 16 }
                    y[output] = dl * Float(value) - ml
                    output += 1
                }
            }
        }
    }

    /// ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8), d; values offset by 32.
    private static func decodeQ6K(_ block: UnsafeRawBufferPointer, into y: UnsafeMutableBufferPointer<Float>) {
        let d = BlockDequantization.half(block, at: 208)
        for half in 0..<2 {
            let ql = half * 64
            let qh = 128 + half * 32
            let scales = 192 + half * 8
            let base = half * 128
            for l in 0..<32 {
                let high = block[qh + l]
                let quarter = [
                    Int(block[ql + l] & 0xF) | Int(high & 3) << 4,
                    Int(block[ql + l + 32] & 0xF) | Int((high >> 2) & 3) << 4,
                    Int(block[ql + l] >> 4) | Int((high >> 4) & 3) << 4,
                    Int(block[ql + l + 32] >> 4) | Int((high >> 6) & 3) << 4,
                ]
                for (index, value) in quarter.enumerated() {
                    let scale = Float(Int8(bitPattern: block[scales + l / 16 + 2 * index]))
                    y[base + l + 32 * index] = d * scale * Float(value - 32)
                }
            }
        }
    }
}

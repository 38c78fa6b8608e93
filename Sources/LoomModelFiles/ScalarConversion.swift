/// Bit-exact decoding of the narrow float formats to Float. Written out rather than using `Float16`
/// because that type is missing on some platforms Loom builds for (Intel macOS).
enum ScalarConversion {
    static func float(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = Int(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }

    static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// OCP FP8 E4M3 "fn" (PyTorch `float8_e4m3fn`): bias 7, no infinities, only S.1111.111 is NaN.
    static func float(fromE4M3 bits: UInt8) -> Float {
        let negative = bits & 0x80 != 0
        let exponent = Int(bits >> 3) & 0xF
        let mantissa = Int(bits & 0x7)
        let magnitude: Float
        if exponent == 0xF && mantissa == 0x7 {
            return .nan
        } else if exponent == 0 {
            magnitude = Float(mantissa) * 0x1p-9
        } else {
            magnitude = Float(8 + mantissa) * Float(sign: .plus, exponent: exponent - 7 - 3, significand: 1)
        }
        return negative ? -magnitude : magnitude
    }

    /// FP8 E5M2 (PyTorch `float8_e5m2`): the top byte of an IEEE half.
    static func float(fromE5M2 bits: UInt8) -> Float {
        float(fromHalf: UInt16(bits) << 8)
    }
}

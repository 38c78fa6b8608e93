/// The float32 logarithm, sine and cosine that PyTorch's vectorised normal fill uses on x86
/// (`log256_ps` and `sincos256_ps` of avx_mathfun: Cephes polynomials), with the multiply–adds
/// fused as the compiler fuses them there (found by matching PyTorch's output bit for bit).
/// libm's functions differ from these in the last bit.
enum CephesFloatMath {
    static func log(_ value: Float) -> Float {
        let bits = value.bitPattern
        var exponent = Float(Int32(bits >> 23) - 0x7F) + 1
        // The mantissa scaled into [0.5, 1).
        var x = Float(bitPattern: (bits & ~0x7F80_0000) | 0x3F00_0000)
        let belowSqrtHalf = x < 0.707106781186547524
        let addBack: Float = belowSqrtHalf ? x : 0
        x -= 1
        if belowSqrtHalf { exponent -= 1 }
        x += addBack
        let z = x * x
        let coefficients: [Float] = [
            -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1,
            -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1,
        ]
        var y: Float = 7.0376836292E-2
        for coefficient in coefficients { y = coefficient.addingProduct(y, x) }
        y = (exponent * -2.12194440e-4).addingProduct(y * x, z)
        y -= z * 0.5
        x += y
        return x.addingProduct(exponent, 0.693359375)
    }

    static func sincos(_ value: Float) -> (sin: Float, cos: Float) {
        var sinNegative = value < 0
        var x = abs(value)
        // The octant, rounded up to even, and its multiple of π/4 subtracted in three parts.
        let octant = (Int32(x * 1.27323954473516) + 1) & ~1
        let y = Float(octant)
        sinNegative = sinNegative != (octant & 4 != 0)
        let cosNegative = ~(octant - 2) & 4 != 0
        let usesSinPolynomial = octant & 2 == 0
        x = x.addingProduct(y, -0.78515625)
        x = x.addingProduct(y, -2.4187564849853515625e-4)
        x = x.addingProduct(y, -3.77489497744594108e-8)
        let z = x * x

        var cosine: Float = 2.443315711809948E-005
        cosine = Float(-1.388731625493765E-003).addingProduct(cosine, z)
        cosine = Float(4.166664568298827E-002).addingProduct(cosine, z)
        cosine = (-(z * 0.5)).addingProduct(cosine * z, z)
        cosine += 1

        var sine: Float = -1.9515295891E-4
        sine = Float(8.3321608736E-3).addingProduct(sine, z)
        sine = Float(-1.6666654611E-1).addingProduct(sine, z)
        sine *= z
        sine = x.addingProduct(sine, x)

        let (s, c) = usesSinPolynomial ? (sine, cosine) : (cosine, sine)
        return (sinNegative ? -s : s, cosNegative ? -c : c)
    }
}

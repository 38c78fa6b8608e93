import Foundation

/// Reproduces `torch.manual_seed(seed)` followed by CPU `torch.randn(count)` in float32, bit for bit.
///
/// PyTorch draws normals two ways. Tensors of 16 or more elements take the vectorised fill: one
/// 24-bit uniform float per element, then Box–Muller over blocks of 16 pairing element j with j + 8;
/// a tail shorter than 16 redraws 16 fresh uniforms and refills the last 16 elements. Smaller tensors
/// draw doubles from 53-bit uniforms one at a time and keep Box–Muller's second value for the next
/// draw. The vectorised path uses the float32 Cephes approximations x86 PyTorch runs there
/// (`CephesFloatMath`); verified bit-exact against PyTorch 2.15 on x86-64 (AVX-512 dispatch). Other
/// builds (ARM, no SIMD) take libm's functions, which can differ in the last bit.
public struct TorchGenerator: Sendable {
    private var engine: MersenneTwister
    private var cachedNormal: Double?

    public init(seed: UInt64) {
        engine = MersenneTwister(seed: seed)
    }

    /// `torch.randn` of `count` elements (the shape does not matter, only the element count).
    public mutating func randn(count: Int) -> [Float] {
        count >= 16 ? vectorisedNormals(count: count) : (0..<count).map { _ in Float(scalarNormal()) }
    }

    private mutating func uniformFloat() -> Float {
        Float(engine.next() & 0xFF_FFFF) * 0x1p-24
    }

    private mutating func uniformDouble() -> Double {
        let high = UInt64(engine.next()), low = UInt64(engine.next())
        return Double(((high << 32) | low) & ((1 << 53) - 1)) * 0x1p-53
    }

    private mutating func scalarNormal() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = uniformDouble(), u2 = uniformDouble()
        let radius = (-2.0 * log1p(-u2)).squareRoot()
        let theta = 2.0 * Double.pi * u1
        cachedNormal = radius * sin(theta)
        return radius * cos(theta)
    }

    private mutating func vectorisedNormals(count: Int) -> [Float] {
        var data = (0..<count).map { _ in uniformFloat() }
        var start = 0
        while start + 16 <= count {
            Self.boxMuller16(&data, at: start)
            start += 16
        }
        if count % 16 != 0 {
            for i in (count - 16)..<count { data[i] = uniformFloat() }
            Self.boxMuller16(&data, at: count - 16)
        }
        return data
    }

    private static func boxMuller16(_ data: inout [Float], at base: Int) {
        for j in 0..<8 {
            let u1 = 1 - data[base + j]
            let u2 = data[base + j + 8]
            let radius = (-2 * CephesFloatMath.log(u1)).squareRoot()
            let (sine, cosine) = CephesFloatMath.sincos(Float(2 * Double.pi) * u2)
            data[base + j] = radius * cosine
            data[base + j + 8] = radius * sine
        }
    }
}

/// Element-wise arithmetic on sampler states, with float32 coefficients as ComfyUI's tensors use.
extension Array where Element == Float {
    /// a·self + b·other
    func scaled(_ a: Double, plus b: Double, times other: [Float]) -> [Float] {
        let a = Float(a), b = Float(b)
        return zip(self, other).map { a * $0 + b * $1 }
    }

    /// self + b·other
    func adding(_ b: Double, times other: [Float]) -> [Float] {
        let b = Float(b)
        return zip(self, other).map { $0 + b * $1 }
    }

    /// self·a
    func scaled(_ a: Double) -> [Float] {
        let a = Float(a)
        return map { $0 * a }
    }

    /// The Karras ODE derivative (x − denoised)/sigma.
    func derivative(denoised: [Float], sigma: Double) -> [Float] {
        let sigma = Float(sigma)
        return zip(self, denoised).map { ($0 - $1) / sigma }
    }

    /// self − other, element by element (`-` would read as removal, `+` is concatenation).
    func minus(_ other: [Float]) -> [Float] { zip(self, other).map { $0 - $1 } }
}

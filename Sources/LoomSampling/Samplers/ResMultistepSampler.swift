import Foundation

/// `res_multistep`: the second-order exponential multistep method of arXiv 2308.02157 in
/// t = −log σ, using the previous step's prediction; the first and last steps are Euler steps.
public struct ResMultistepSampler: Sampler {
    public init() {}

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        var previousDenoised: [Float]?
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            if let previous = previousDenoised, sigmaNext != 0 {
                // Without noise (eta 0) the previous step went all the way to sigmas[i].
                let t = -log(sigma), tNext = -log(sigmaNext), tPrevious = -log(Double(sigmas[i - 1]))
                let h = tNext - t
                let c2 = (tPrevious - t) / h
                let phi1 = expm1(-h) / -h
                let phi2 = (phi1 - 1) / -h
                let b1 = Self.finiteOrZero(phi1 - phi2 / c2)
                let b2 = Self.finiteOrZero(phi2 / c2)
                x = x.scaled(exp(-h)).adding(h, times: denoised.scaled(b1, plus: b2, times: previous))
            } else {
                x = x.adding(sigmaNext - sigma, times: x.derivative(denoised: denoised, sigma: sigma))
            }
            previousDenoised = denoised
        }
        return x
    }

    /// `torch.nan_to_num(value, nan=0)`: NaN becomes 0, infinities the largest finite float32.
    private static func finiteOrZero(_ value: Double) -> Double {
        if value.isNaN { return 0 }
        if value.isInfinite { return value > 0 ? Double(Float.greatestFiniteMagnitude) : -Double(Float.greatestFiniteMagnitude) }
        return value
    }
}

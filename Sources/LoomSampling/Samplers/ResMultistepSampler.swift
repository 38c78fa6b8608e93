import Foundation

/// `res_multistep` / `res_multistep_ancestral`: the second-order exponential multistep method of
/// arXiv 2308.02157 in t = −log σ, using the previous step's prediction; the first step and steps
/// to sigma 0 are Euler steps. The ancestral variant steps to k-diffusion's variance-exploding
/// sigma_down and adds noise to reach the next sigma (ComfyUI does not branch on flow models here).
public struct ResMultistepSampler: Sampler {
    public var eta: Double
    public var noiseMultiplier: Double

    public init(eta: Double = 0, noiseMultiplier: Double = 1) {
        self.eta = eta
        self.noiseMultiplier = noiseMultiplier
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        var previousDenoised: [Float]?
        var previousSigmaDown = 0.0
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            let (sigmaDown, sigmaUp) = ancestralStep(from: sigma, to: sigmaNext, eta: eta)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            if let previous = previousDenoised, sigmaDown != 0 {
                let t = -log(sigma), tNext = -log(sigmaDown)
                let tOld = -log(previousSigmaDown), tPrevious = -log(Double(sigmas[i - 1]))
                let h = tNext - t
                let c2 = (tPrevious - tOld) / h
                let phi1 = expm1(-h) / -h
                let phi2 = (phi1 - 1) / -h
                let b1 = Self.finiteOrZero(phi1 - phi2 / c2)
                let b2 = Self.finiteOrZero(phi2 / c2)
                x = x.scaled(exp(-h)).adding(h, times: denoised.scaled(b1, plus: b2, times: previous))
            } else {
                x = x.adding(sigmaDown - sigma, times: x.derivative(denoised: denoised, sigma: sigma))
            }
            if sigmaNext > 0 && sigmaUp > 0 {
                x = x.adding(sigmaUp * noiseMultiplier, times: context.noise(from: sigma, to: sigmaNext))
            }
            previousDenoised = denoised
            previousSigmaDown = sigmaDown
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

/// k-diffusion's `get_ancestral_step` (variance-exploding form): the sigma to step down to and the
/// standard deviation of the noise that brings the state back up to `sigmaNext`.
func ancestralStep(from sigma: Double, to sigmaNext: Double, eta: Double) -> (down: Double, up: Double) {
    if eta == 0 { return (sigmaNext, 0) }
    let up = min(sigmaNext, eta * (sigmaNext * sigmaNext * (sigma * sigma - sigmaNext * sigmaNext) / (sigma * sigma)).squareRoot())
    return ((sigmaNext * sigmaNext - up * up).squareRoot(), up)
}

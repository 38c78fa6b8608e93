import Foundation

/// `dpmpp_3m_sde` for flow models: third-order multistep DPM-Solver++ SDE in half-log-SNR time,
/// second order on the second step and first order on the first, with Brownian-tree noise.
public struct DPMPP3MSDESampler: Sampler {
    public var eta: Double
    public var noiseMultiplier: Double

    public init(eta: Double = 1, noiseMultiplier: Double = 1) {
        self.eta = eta
        self.noiseMultiplier = noiseMultiplier
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        let prediction = context.modelSampling.prediction
        guard sigmas.count > 1 else { return x }
        let sigmas = offsettingFirstSigmaForSNR(sigmas, modelSampling: context.modelSampling)
        var x = x
        var denoised1: [Float]?, denoised2: [Float]?
        var h: Double?, h1: Double?, h2: Double?
        let stepCount = sigmas.count - 1
        for i in 0..<stepCount {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            if sigmaNext == 0 {
                x = denoised
            } else {
                let lambda = prediction.halfLogSNR(sigma), lambdaNext = prediction.halfLogSNR(sigmaNext)
                let step = lambdaNext - lambda
                h = step
                let hEta = step * (eta + 1)
                let alphaNext = sigmaNext * exp(lambdaNext)
                x = x.scaled(sigmaNext / sigma * exp(-step * eta), plus: alphaNext * -expm1(-hEta), times: denoised)
                let phi2 = expm1(-hEta) / hEta + 1
                if let previous = denoised1, let older = denoised2, let h1, let h2 {
                    let r0 = h1 / step, r1 = h2 / step
                    let firstDifference = denoised.minus(previous).scaled(1 / r0)
                    let olderDifference = previous.minus(older).scaled(1 / r1)
                    let curvature = firstDifference.minus(olderDifference)
                    let d1 = firstDifference.adding(r0 / (r0 + r1), times: curvature)
                    let d2 = curvature.scaled(1 / (r0 + r1))
                    let phi3 = phi2 / hEta - 0.5
                    x = x.adding(alphaNext * phi2, times: d1).adding(-(alphaNext * phi3), times: d2)
                } else if let previous = denoised1, let h1 {
                    let r = h1 / step
                    x = x.adding(alphaNext * phi2, times: denoised.minus(previous).scaled(1 / r))
                }
                if eta > 0 && noiseMultiplier > 0 {
                    let noise = context.noise(from: sigma, to: sigmaNext)
                    x = x.adding(sigmaNext * (-expm1(-2 * step * eta)).squareRoot() * noiseMultiplier, times: noise)
                }
            }
            (denoised1, denoised2) = (denoised, denoised1)
            (h1, h2) = (h, h1)
        }
        return x
    }
}

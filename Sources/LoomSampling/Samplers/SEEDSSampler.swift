import Foundation

/// `seeds_2` / `seeds_3`: SEEDS, stochastic explicit exponential derivative-free solvers (arXiv
/// 2305.14267) with two or three stages at fractions of the step in half-log-SNR time; the noise of
/// the stages is one correlated Brownian path built from the seeded per-step noise.
public struct SEEDSSampler: Sampler {
    /// Where the intermediate stages sit in the step: [0.5] for seeds_2, [1/3, 2/3] for seeds_3.
    public var stageFractions: [Double]
    public var eta: Double
    public var noiseMultiplier: Double

    public init(stageFractions: [Double], eta: Double = 1, noiseMultiplier: Double = 1) {
        self.stageFractions = stageFractions
        self.eta = eta
        self.noiseMultiplier = noiseMultiplier
    }

    public static let seeds2 = SEEDSSampler(stageFractions: [0.5])
    public static let seeds3 = SEEDSSampler(stageFractions: [1.0 / 3, 2.0 / 3])

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        let prediction = context.modelSampling.prediction
        let sigmas = offsettingFirstSigmaForSNR(sigmas, modelSampling: context.modelSampling)
        var x = x
        let stepCount = sigmas.count - 1
        let injectsNoise = eta > 0 && noiseMultiplier > 0
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            if sigmaNext == 0 {
                x = denoised
                continue
            }
            let lambda = prediction.halfLogSNR(sigma), lambdaNext = prediction.halfLogSNR(sigmaNext)
            let h = lambdaNext - lambda
            let hEta = h * (eta + 1)
            let alphaNext = sigmaNext * exp(lambdaNext)
            var stagePredictions = [denoised]
            var noise: [Float]?
            var previousFraction = 0.0, previousSigma = sigma
            for fraction in stageFractions {
                let stageLambda = lerp(lambda, lambdaNext, fraction)
                let stageSigma = prediction.sigma(halfLogSNR: stageLambda)
                let stageAlpha = stageSigma * exp(stageLambda)
                var state = x.scaled(stageSigma / sigma * exp(-fraction * h * eta))
                if stagePredictions.count == 1 {
                    state = state.adding(-stageAlpha * expm1(-fraction * hEta), times: denoised)
                } else {
                    // seeds_3's second stage also uses the first stage's prediction.
                    let a32 = fraction / stageFractions[0] * phi2(-fraction * hEta)
                    let a31 = expm1(-fraction * hEta) - a32
                    state = state.adding(-stageAlpha * a31, times: denoised)
                        .adding(-stageAlpha * a32, times: stagePredictions[1])
                }
                if injectsNoise {
                    noise = brownianNoise(noise, over: (previousFraction - fraction) * h * eta,
                                          fresh: context.noise(from: previousSigma, to: stageSigma))
                    state = state.adding(stageSigma * noiseMultiplier, times: noise!)
                }
                stagePredictions.append(try await context.denoise(state, sigma: stageSigma))
                (previousFraction, previousSigma) = (fraction, stageSigma)
            }
            let final: [Float]
            if stageFractions.count == 1 {
                // torch.lerp(denoised, denoised_2, 1 / (2r)).
                final = lerp(denoised, stagePredictions[1], weight: 1 / (2 * stageFractions[0]))
                x = x.scaled(sigmaNext / sigma * exp(-h * eta), plus: -alphaNext * expm1(-hEta), times: final)
            } else {
                let b3 = phi2(-hEta) / stageFractions[1]
                let b1 = expm1(-hEta) - b3
                final = denoised.scaled(b1, plus: b3, times: stagePredictions[2])
                x = x.scaled(sigmaNext / sigma * exp(-h * eta), plus: -alphaNext, times: final)
            }
            if injectsNoise {
                noise = brownianNoise(noise, over: (previousFraction - 1) * h * eta,
                                      fresh: context.noise(from: previousSigma, to: sigmaNext))
                x = x.adding(sigmaNext * noiseMultiplier, times: noise!)
            }
        }
        return x
    }

    /// The stage noise: the previous one decayed by e^segment plus fresh noise for the remainder.
    private func brownianNoise(_ previous: [Float]?, over segment: Double, fresh: [Float]) -> [Float] {
        let freshScale = (-expm1(2 * segment)).squareRoot()
        guard let previous else { return fresh.scaled(freshScale) }
        return previous.scaled(exp(segment), plus: freshScale, times: fresh)
    }
}

/// h·φ₂(h) of exponential integrators: (e^h − 1 − h)/h.
func phi2(_ h: Double) -> Double { (expm1(h) - h) / h }

/// `torch.lerp` for scalars: from the nearer end.
func lerp(_ start: Double, _ end: Double, _ weight: Double) -> Double {
    weight < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight)
}

/// `torch.lerp` element-wise.
func lerp(_ start: [Float], _ end: [Float], weight: Double) -> [Float] {
    let w = Float(weight)
    return zip(start, end).map { s, e in w < 0.5 ? s + w * (e - s) : e - (e - s) * (1 - w) }
}

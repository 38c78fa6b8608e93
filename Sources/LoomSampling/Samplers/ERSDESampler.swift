import Foundation

/// `er_sde`: the extended reverse-time SDE solver (VP ER-SDE-Solver-3, arXiv 2309.06169) in
/// λ = σ/α, up to third order, with ComfyUI's noise scaler λ·(e^(λ^0.3) + 10) whose integrals are
/// taken over 200 points; seeded per-step noise.
public struct ERSDESampler: Sampler {
    public var noiseMultiplier: Double
    public var maxStage: Int

    public init(noiseMultiplier: Double = 1, maxStage: Int = 3) {
        self.noiseMultiplier = noiseMultiplier
        self.maxStage = maxStage
    }

    private static let integrationPoints = 200

    private static func noiseScale(_ lambda: Double) -> Double {
        lambda * (exp(pow(lambda, 0.3)) + 10)
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        let prediction = context.modelSampling.prediction
        let sigmas = offsettingFirstSigmaForSNR(sigmas, modelSampling: context.modelSampling)
        // λ = σ/α = e^(−half-log-SNR); 0 at sigma 0.
        let lambdas = sigmas.map { sigma -> Double in sigma == 0 ? 0 : exp(-prediction.halfLogSNR(Double(sigma))) }
        var x = x
        var previousDenoised: [Float]?
        var previousDerivative: [Float]?
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            let stage = min(maxStage, i + 1)
            if sigmaNext == 0 {
                x = denoised
                previousDenoised = denoised
                continue
            }
            let (lambda, lambdaNext) = (lambdas[i], lambdas[i + 1])
            let alpha = sigma / lambda, alphaNext = sigmaNext / lambdaNext
            let r = Self.noiseScale(lambdaNext) / Self.noiseScale(lambda)
            x = x.scaled(alphaNext / alpha * r, plus: alphaNext * (1 - r), times: denoised)

            if stage >= 2, let previous = previousDenoised {
                let dt = lambdaNext - lambda
                let stepSize = -dt / Double(Self.integrationPoints)
                let points = (0..<Self.integrationPoints).map { lambdaNext + Double($0) * stepSize }
                let integral = points.reduce(0.0) { $0 + 1 / Self.noiseScale($1) } * stepSize
                let derivative = denoised.minus(previous).scaled(1 / (lambda - lambdas[i - 1]))
                x = x.adding(alphaNext * (dt + integral * Self.noiseScale(lambdaNext)), times: derivative)
                if stage >= 3, let previousDerivative {
                    let momentIntegral = points.reduce(0.0) { $0 + ($1 - lambda) / Self.noiseScale($1) } * stepSize
                    let curvature = derivative.minus(previousDerivative).scaled(1 / ((lambda - lambdas[i - 2]) / 2))
                    x = x.adding(alphaNext * (dt * dt / 2 + momentIntegral * Self.noiseScale(lambdaNext)), times: curvature)
                }
                previousDerivative = derivative
            }
            if noiseMultiplier > 0 {
                let variance = lambdaNext * lambdaNext - lambda * lambda * r * r
                let spread = variance.isNaN || variance < 0 ? 0 : variance.squareRoot()
                x = x.adding(alphaNext * noiseMultiplier * spread, times: context.noise(from: sigma, to: sigmaNext))
            }
            previousDenoised = denoised
        }
        return x
    }
}

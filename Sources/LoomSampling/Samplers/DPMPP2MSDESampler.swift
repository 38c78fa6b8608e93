import Foundation

/// `dpmpp_2m_sde` (midpoint solver) and `dpmpp_2m_sde_heun` for flow models, in half-log-SNR time.
/// ComfyUI draws their noise from a Brownian tree (`BrownianTreeNoiseSampler`).
public struct DPMPP2MSDESampler: Sampler {
    /// How the second-order correction from the previous prediction is weighted.
    public enum Solver: Sendable { case midpoint, heun }

    public var solver: Solver
    public var eta: Double
    public var noiseMultiplier: Double

    public init(solver: Solver = .midpoint, eta: Double = 1, noiseMultiplier: Double = 1) {
        self.solver = solver
        self.eta = eta
        self.noiseMultiplier = noiseMultiplier
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        let prediction = context.modelSampling.prediction
        guard sigmas.count > 1 else { return x }
        let sigmas = offsettingFirstSigmaForSNR(sigmas, modelSampling: context.modelSampling)
        var x = x
        var previousDenoised: [Float]?
        var h: Double?
        var previousH: Double?
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
                let predictionWeight = alphaNext * -expm1(-hEta)
                x = x.scaled(sigmaNext / sigma * exp(-step * eta), plus: predictionWeight, times: denoised)
                if let previous = previousDenoised, let previousH {
                    let r = previousH / step
                    let correctionWeight = switch solver {
                    case .midpoint: 0.5 * predictionWeight
                    case .heun: alphaNext * (-expm1(-hEta) / -hEta + 1)
                    }
                    x = x.adding(correctionWeight / r, times: denoised.minus(previous))
                }
                if eta > 0 && noiseMultiplier > 0 {
                    let noise = context.noise(from: sigma, to: sigmaNext)
                    x = x.adding(sigmaNext * (-expm1(-2 * step * eta)).squareRoot() * noiseMultiplier, times: noise)
                }
            }
            previousDenoised = denoised
            previousH = h
        }
        return x
    }
}

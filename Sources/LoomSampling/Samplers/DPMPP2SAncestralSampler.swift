import Foundation

/// `dpmpp_2s_ancestral` for flow models (ComfyUI `sample_dpmpp_2s_ancestral_RF`): DPM-Solver++(2S)
/// to the ancestral sigma_down with its midpoint in half-log-SNR, then renoising.
public struct DPMPP2SAncestralSampler: Sampler {
    public var eta: Double
    public var noiseMultiplier: Double

    public init(eta: Double = 1, noiseMultiplier: Double = 1) {
        self.eta = eta
        self.noiseMultiplier = noiseMultiplier
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            let step = FlowAncestralStep(from: sigma, to: sigmaNext, eta: eta)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            if sigmaNext == 0 {
                x = x.adding(step.sigmaDown - sigma, times: x.derivative(denoised: denoised, sigma: sigma))
            } else {
                // log((1 − σ)/σ) is infinite at σ = 1, so ComfyUI takes the midpoint at 0.9999 there.
                let sigmaMid: Double
                if sigmas[i] == 1 {
                    sigmaMid = 0.9999
                } else {
                    let lambda = log((1 - sigma) / sigma)
                    let lambdaDown = log((1 - step.sigmaDown) / step.sigmaDown)
                    sigmaMid = 1 / (exp(lambda + (lambdaDown - lambda) / 2) + 1)
                }
                let midRatio = sigmaMid / sigma
                let midpoint = x.scaled(midRatio, plus: 1 - midRatio, times: denoised)
                let denoisedMid = try await context.denoise(midpoint, sigma: sigmaMid)
                let downRatio = step.sigmaDown / sigma
                x = x.scaled(downRatio, plus: 1 - downRatio, times: denoisedMid)
            }
            if sigmaNext > 0 && eta > 0 {
                let noise = context.noise(from: sigma, to: sigmaNext)
                x = x.scaled(step.stateScale, plus: noiseMultiplier * step.noiseScale, times: noise)
            }
        }
        return x
    }
}

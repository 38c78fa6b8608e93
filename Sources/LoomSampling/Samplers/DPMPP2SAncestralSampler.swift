import Foundation

/// `dpmpp_2s_ancestral`: DPM-Solver++(2S) to the ancestral sigma_down with its midpoint in
/// half-log-SNR, then renoising; ComfyUI's `_RF` form for flow models, k-diffusion's for discrete ones.
public struct DPMPP2SAncestralSampler: Sampler {
    public var eta: Double
    public var noiseMultiplier: Double

    public init(eta: Double = 1, noiseMultiplier: Double = 1) {
        self.eta = eta
        self.noiseMultiplier = noiseMultiplier
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        guard context.modelSampling.prediction == .flow else { return try await sampleDiscrete(x, sigmas: sigmas, context: &context) }
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

    private func sampleDiscrete(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            let step = ancestralStep(from: sigma, to: sigmaNext, eta: eta)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            if step.down == 0 {
                x = x.adding(step.down - sigma, times: x.derivative(denoised: denoised, sigma: sigma))
            } else {
                // λ = −log σ; the midpoint halfway in λ.
                let h = log(sigma) - log(step.down)
                let sigmaMid = exp(-(-log(sigma) + h / 2))
                let midpoint = x.scaled(sigmaMid / sigma, plus: -expm1(-h / 2), times: denoised)
                let denoisedMid = try await context.denoise(midpoint, sigma: sigmaMid)
                x = x.scaled(step.down / sigma, plus: -expm1(-h), times: denoisedMid)
            }
            if sigmaNext > 0 {
                x = x.adding(noiseMultiplier * step.up, times: context.noise(from: sigma, to: sigmaNext))
            }
        }
        return x
    }
}

import Foundation

/// `dpmpp_sde`: DPM-Solver++ (stochastic, second order with a midpoint at ratio r = 1/2 in
/// half-log-SNR time) for flow models, with Brownian-tree noise at the midpoint and the step's end.
///
/// The midpoint sigma is computed in float32 as ComfyUI computes it, because the Brownian tree
/// resolves query times to 6 decimals and a different last bit could move the query.
public struct DPMPPSDESampler: Sampler {
    public var eta: Double
    public var noiseMultiplier: Double
    public var ratio: Double

    public init(eta: Double = 1, noiseMultiplier: Double = 1, ratio: Double = 0.5) {
        self.eta = eta
        self.noiseMultiplier = noiseMultiplier
        self.ratio = ratio
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        let prediction = context.modelSampling.prediction
        guard sigmas.count > 1 else { return x }
        let sigmas = offsettingFirstSigmaForSNR(sigmas, modelSampling: context.modelSampling)
        var x = x
        let stepCount = sigmas.count - 1
        let stochastic = eta > 0 && noiseMultiplier > 0
        for i in 0..<stepCount {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            if sigmaNext == 0 {
                x = denoised
                continue
            }
            let lambdaStart = prediction.halfLogSNR(sigmas[i]), lambdaEnd = prediction.halfLogSNR(sigmas[i + 1])
            let lambdaMid = lambdaStart + Float(ratio) * (lambdaEnd - lambdaStart)
            let sigmaMid = prediction.sigma(halfLogSNR: lambdaMid)
            let blend = 1 / (2 * ratio)
            let (lambdaS, lambdaM, lambdaT) = (Double(lambdaStart), Double(lambdaMid), Double(lambdaEnd))
            let alphaStart = sigma * exp(lambdaS)
            let alphaMid = Double(sigmaMid) * exp(lambdaM)
            let alphaEnd = sigmaNext * exp(lambdaT)

            // First stage: to the midpoint.
            var step = ancestralStep(from: exp(-lambdaS), to: exp(-lambdaM), eta: eta)
            var h = -log(step.down) - lambdaS
            var midpoint = x.scaled(alphaMid / alphaStart * exp(-h), plus: -alphaMid * expm1(-h), times: denoised)
            if stochastic {
                let noise = context.noise(from: sigma, to: Double(sigmaMid))
                midpoint = midpoint.adding(alphaMid * noiseMultiplier * step.up, times: noise)
            }
            let denoisedMid = try await context.denoise(midpoint, sigma: Double(sigmaMid))

            // Second stage: to the end, with the blended prediction.
            step = ancestralStep(from: exp(-lambdaS), to: exp(-lambdaT), eta: eta)
            h = -log(step.down) - lambdaS
            let prediction = denoised.scaled(1 - blend, plus: blend, times: denoisedMid)
            x = x.scaled(alphaEnd / alphaStart * exp(-h), plus: -alphaEnd * expm1(-h), times: prediction)
            if stochastic {
                x = x.adding(alphaEnd * noiseMultiplier * step.up, times: context.noise(from: sigma, to: sigmaNext))
            }
        }
        return x
    }
}

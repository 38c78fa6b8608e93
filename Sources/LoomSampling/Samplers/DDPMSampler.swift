/// `ddpm`: ancestral DDPM steps in variance-preserving form (α̅ = 1/(σ² + 1)), applied by ComfyUI
/// to every model type alike, with the seeded per-step noise.
public struct DDPMSampler: Sampler {
    public init() {}

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            let noisePrediction = x.derivative(denoised: denoised, sigma: sigma)
            let alphaCumulative = 1 / (sigma * sigma + 1)
            let alphaCumulativeNext = 1 / (sigmaNext * sigmaNext + 1)
            let alpha = alphaCumulative / alphaCumulativeNext
            let scaled = x.scaled(1 / (1 + sigma * sigma).squareRoot())
            x = scaled.adding(-(1 - alpha) / (1 - alphaCumulative).squareRoot(), times: noisePrediction)
                .scaled((1 / alpha).squareRoot())
            if sigmaNext > 0 {
                let spread = ((1 - alpha) * (1 - alphaCumulativeNext) / (1 - alphaCumulative)).squareRoot()
                x = x.adding(spread, times: context.noise(from: sigma, to: sigmaNext))
                x = x.scaled((1 + sigmaNext * sigmaNext).squareRoot())
            }
        }
        return x
    }
}

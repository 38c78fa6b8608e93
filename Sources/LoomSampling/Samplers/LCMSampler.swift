/// `lcm`: take the prediction, then noise it back up to the next sigma with fresh noise.
public struct LCMSampler: Sampler {
    public init() {}

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i])
            let denoised = try await context.denoise(x, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            x = denoised
            if sigmas[i + 1] > 0 {
                let noise = context.noise(from: sigma, to: Double(sigmas[i + 1]))
                x = context.modelSampling.noiseScaling(sigma: sigmas[i + 1], noise: noise, latent: x)
            }
        }
        return x
    }
}

/// `euler_ancestral`: an Euler step to the ancestral sigma_down, then fresh noise up to the next sigma.
/// Flow models take ComfyUI's `_RF` form (the step as an interpolation, renoising that rescales the
/// state); discrete models the original k-diffusion form.
public struct EulerAncestralSampler: Sampler {
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
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            if sigmaNext == 0 {
                x = denoised
                continue
            }
            let step = FlowAncestralStep(from: sigma, to: sigmaNext, eta: eta)
            let ratio = step.sigmaDown / sigma
            x = x.scaled(ratio, plus: 1 - ratio, times: denoised)
            if eta > 0 {
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
                x = denoised
                continue
            }
            x = x.adding(step.down - sigma, times: x.derivative(denoised: denoised, sigma: sigma))
            x = x.adding(noiseMultiplier * step.up, times: context.noise(from: sigma, to: sigmaNext))
        }
        return x
    }
}

/// `dpm_2_ancestral`: the DPM-Solver-2 step to the ancestral sigma_down, then renoising to the next
/// sigma, in ComfyUI's `_RF` form for flow models and k-diffusion's for discrete ones.
public struct DPM2AncestralSampler: Sampler {
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
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            let derivative = x.derivative(denoised: denoised, sigma: sigma)
            if context.modelSampling.prediction == .flow {
                let step = FlowAncestralStep(from: sigma, to: sigmaNext, eta: eta)
                if step.sigmaDown == 0 {
                    x = x.adding(-sigma, times: derivative)
                    continue
                }
                x = try await midpointStep(x, derivative: derivative, from: sigma, to: step.sigmaDown, context: context)
                let noise = context.noise(from: sigma, to: sigmaNext)
                x = x.scaled(step.stateScale, plus: noiseMultiplier * step.noiseScale, times: noise)
            } else {
                let step = ancestralStep(from: sigma, to: sigmaNext, eta: eta)
                if step.down == 0 {
                    x = x.adding(-sigma, times: derivative)
                    continue
                }
                x = try await midpointStep(x, derivative: derivative, from: sigma, to: step.down, context: context)
                x = x.adding(noiseMultiplier * step.up, times: context.noise(from: sigma, to: sigmaNext))
            }
        }
        return x
    }
}

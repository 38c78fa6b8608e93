/// `euler`: x += (x − denoised)/σ · (σ_next − σ). ComfyUI's `ddim` is this sampler too.
public struct EulerSampler: Sampler {
    public init() {}

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            x = x.adding(sigmaNext - sigma, times: x.derivative(denoised: denoised, sigma: sigma))
        }
        return x
    }
}

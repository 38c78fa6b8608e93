/// `heun`: Heun's second-order method (Karras et al. 2022, algorithm 2, without churn); the last
/// step to sigma 0 is a plain Euler step.
public struct HeunSampler: Sampler {
    public init() {}

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            let derivative = x.derivative(denoised: denoised, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            let dt = sigmaNext - sigma
            if sigmaNext == 0 {
                x = x.adding(dt, times: derivative)
                continue
            }
            let predicted = x.adding(dt, times: derivative)
            let denoisedNext = try await context.denoise(predicted, sigma: sigmaNext)
            let derivativeNext = predicted.derivative(denoised: denoisedNext, sigma: sigmaNext)
            let average = zip(derivative, derivativeNext).map { ($0 + $1) / 2 }
            x = x.adding(dt, times: average)
        }
        return x
    }
}

/// `heunpp2`: Heun's method extended to a three-point weighted derivative (Heun++), with weights
/// from the step's sigmas relative to the first; the last two steps fall back to Heun and Euler.
public struct HeunPP2Sampler: Sampler {
    public init() {}

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        let stepCount = sigmas.count - 1
        guard stepCount > 0 else { return x }
        let last = sigmas[stepCount]
        let first = Double(sigmas[0])
        for i in 0..<stepCount {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            let derivative = x.derivative(denoised: denoised, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            let dt = sigmaNext - sigma
            if sigmas[i + 1] == last {
                x = x.adding(dt, times: derivative)
                continue
            }
            let second = x.adding(dt, times: derivative)
            let secondDerivative = second.derivative(
                denoised: try await context.denoise(second, sigma: sigmaNext), sigma: sigmaNext)
            let combined: [Float]
            if sigmas[i + 2] == last {
                let w2 = sigmaNext / (2 * first)
                combined = derivative.scaled(1 - w2, plus: w2, times: secondDerivative)
            } else {
                let sigmaAfter = Double(sigmas[i + 2])
                let third = second.adding(sigmaAfter - sigmaNext, times: secondDerivative)
                let thirdDerivative = third.derivative(
                    denoised: try await context.denoise(third, sigma: sigmaAfter), sigma: sigmaAfter)
                let w2 = sigmaNext / (3 * first), w3 = sigmaAfter / (3 * first)
                combined = derivative.scaled(1 - w2 - w3, plus: w2, times: secondDerivative)
                    .adding(w3, times: thirdDerivative)
            }
            x = x.adding(dt, times: combined)
        }
        return x
    }
}

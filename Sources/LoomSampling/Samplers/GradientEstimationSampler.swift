/// `gradient_estimation`: Euler steps corrected by (γ − 1) times the change of the derivative since
/// the previous step (γ = 2 in ComfyUI); the step to sigma 0 takes the prediction.
public struct GradientEstimationSampler: Sampler {
    public var gamma: Double

    public init(gamma: Double = 2) {
        self.gamma = gamma
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        var previousDerivative: [Float]?
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            let derivative = x.derivative(denoised: denoised, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            let dt = sigmaNext - sigma
            if sigmaNext == 0 {
                x = denoised
            } else {
                x = x.adding(dt, times: derivative)
                if let previous = previousDerivative {
                    x = x.adding(dt, times: derivative.minus(previous).scaled(gamma - 1))
                }
            }
            previousDerivative = derivative
        }
        return x
    }
}

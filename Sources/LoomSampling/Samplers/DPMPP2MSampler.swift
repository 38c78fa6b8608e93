import Foundation

/// `dpmpp_2m`: DPM-Solver++(2M), second-order multistep in t = −log σ using the previous
/// prediction; first and last steps are first order.
public struct DPMPP2MSampler: Sampler {
    public init() {}

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        var previousDenoised: [Float]?
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            let t = -log(sigma), tNext = -log(sigmaNext)
            let h = tNext - t
            let stateFactor = sigmaNext / sigma
            if let previous = previousDenoised, sigmaNext != 0 {
                let r = (t + log(Double(sigmas[i - 1]))) / h
                let blend = 1 / (2 * r)
                let corrected = denoised.scaled(1 + blend, plus: -blend, times: previous)
                x = x.scaled(stateFactor, plus: -expm1(-h), times: corrected)
            } else {
                x = x.scaled(stateFactor, plus: -expm1(-h), times: denoised)
            }
            previousDenoised = denoised
        }
        return x
    }
}

import Foundation

/// `dpm_2`: a midpoint step in log sigma (DPM-Solver-2 in Karras form). KSampler drops the
/// penultimate sigma for it (see `SamplerName.discardsPenultimateSigma`).
public struct DPM2Sampler: Sampler {
    public init() {}

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            let derivative = x.derivative(denoised: denoised, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            if sigmaNext == 0 {
                x = x.adding(sigmaNext - sigma, times: derivative)
            } else {
                x = try await midpointStep(x, derivative: derivative, from: sigma, to: sigmaNext, context: context)
            }
        }
        return x
    }
}

/// The DPM-Solver-2 step shared by `dpm_2` and `dpm_2_ancestral`: evaluate at the geometric mean
/// of the two sigmas, step the whole way with that derivative.
func midpointStep(
    _ x: [Float], derivative: [Float], from sigma: Double, to sigmaNext: Double, context: SamplingContext
) async throws -> [Float] {
    let sigmaMid = exp((log(sigma) + log(sigmaNext)) / 2)
    let midpoint = x.adding(sigmaMid - sigma, times: derivative)
    let denoisedMid = try await context.denoise(midpoint, sigma: sigmaMid)
    return x.adding(sigmaNext - sigma, times: midpoint.derivative(denoised: denoisedMid, sigma: sigmaMid))
}

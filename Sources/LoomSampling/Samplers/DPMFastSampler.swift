import Foundation

/// `dpm_fast`: DPM-Solver with fixed steps, as many model evaluations as the schedule has steps,
/// spent on third-order steps evenly spaced in −log σ between the first and the last nonzero sigma
/// (which it stops at); only those two sigmas of the schedule matter. Progress reports count its
/// steps against the schedule's step count, as ComfyUI's do.
public struct DPMFastSampler: Sampler {
    public init() {}

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        guard sigmas.count > 1 else { return x }
        let evaluations = sigmas.count - 1
        let tStart = -logf(sigmas[0]), tEnd = -logf(Float(dpmSolverEndSigma(sigmas)))
        let stepCount = evaluations / 3 + 1
        let times = torchLinspace(tStart, tEnd, count: stepCount + 1).map(Double.init)
        let orders = evaluations % 3 == 0
            ? [Int](repeating: 3, count: stepCount - 2) + [2, 1]
            : [Int](repeating: 3, count: stepCount - 1) + [evaluations % 3]
        var solver = DPMSolverSteps(context: context)
        var x = x
        for (i, order) in orders.enumerated() {
            let (t, tNext) = (times[i], times[i + 1])
            solver.startStep()
            let eps = try await solver.noise(x, at: t, key: 0)
            let sigma = DPMSolverSteps.sigma(t)
            try await context.report(index: i, of: evaluations, sigma: sigma, x: x,
                                     denoised: x.adding(-sigma, times: eps))
            switch order {
            case 1: x = try await solver.firstOrder(x, from: t, to: tNext)
            case 2: x = try await solver.secondOrder(x, from: t, to: tNext)
            default: x = try await solver.thirdOrder(x, from: t, to: tNext)
            }
        }
        return x
    }
}

import Foundation

/// `dpm_adaptive`: DPM-Solver-23 with adaptive step size from the first to the last nonzero sigma
/// (which it stops at): each attempt compares the second- and third-order updates and a PID
/// controller (integral term only by default) grows or shrinks the step; rejected attempts retry
/// smaller. The schedule's step count does not matter, except as the total in progress reports
/// (as in ComfyUI), which count attempts.
public struct DPMAdaptiveSampler: Sampler {
    public var relativeTolerance = 0.05
    public var absoluteTolerance = 0.0078
    public var initialStep = 0.05
    public var proportional = 0.0, integral = 1.0, derivative = 0.0
    public var acceptSafety = 0.81

    public init() {}

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        guard sigmas.count > 1 else { return x }
        let tEnd = Double(-logf(Float(dpmSolverEndSigma(sigmas))))
        var s = Double(-logf(sigmas[0]))
        var controller = StepSizeController(
            step: abs(initialStep), proportional: proportional, integral: integral, derivative: derivative,
            order: 3, acceptSafety: acceptSafety)
        var solver = DPMSolverSteps(context: context)
        var x = x
        var previousLow = x
        var attempts = 0
        while s < tEnd - 1e-5 {
            solver.startStep()
            let t = min(tEnd, s + controller.step)
            let eps = try await solver.noise(x, at: s, key: 0)
            let denoised = x.adding(-DPMSolverSteps.sigma(s), times: eps)
            let low = try await solver.secondOrder(x, from: s, to: t, r1: 1.0 / 3)
            let high = try await solver.thirdOrder(x, from: s, to: t)
            let error = scaledError(low: low, high: high, previousLow: previousLow)
            if controller.accepts(error: error) {
                previousLow = low
                x = high
                s = t
            }
            attempts += 1
            try await context.report(index: attempts - 1, of: sigmas.count - 1, sigma: DPMSolverSteps.sigma(s), x: x,
                                     denoised: denoised)
        }
        return x
    }

    /// RMS of the difference over max(atol, rtol·max(|low|, |previous low|)).
    private func scaledError(low: [Float], high: [Float], previousLow: [Float]) -> Double {
        var sum = 0.0
        for i in low.indices {
            let scale = max(absoluteTolerance, relativeTolerance * Double(max(abs(low[i]), abs(previousLow[i]))))
            let ratio = Double(low[i] - high[i]) / scale
            sum += ratio * ratio
        }
        return sum.squareRoot() / Double(low.count).squareRoot()
    }
}

/// k-diffusion's PID step-size controller for adaptive ODE solvers.
struct StepSizeController {
    private(set) var step: Double
    private let b1: Double, b2: Double, b3: Double
    private let acceptSafety: Double
    private var inverseErrors: [Double] = []

    init(step: Double, proportional: Double, integral: Double, derivative: Double, order: Double, acceptSafety: Double) {
        self.step = step
        b1 = (proportional + integral + derivative) / order
        b2 = -(proportional + 2 * derivative) / order
        b3 = derivative / order
        self.acceptSafety = acceptSafety
    }

    /// Updates the step size from the attempt's error; true when the attempt is accepted.
    mutating func accepts(error: Double) -> Bool {
        let inverse = 1 / (error + 1e-8)
        if inverseErrors.isEmpty { inverseErrors = [inverse, inverse, inverse] }
        inverseErrors[0] = inverse
        var factor = pow(inverseErrors[0], b1) * pow(inverseErrors[1], b2) * pow(inverseErrors[2], b3)
        factor = 1 + atan(factor - 1)
        let accepted = factor >= acceptSafety
        if accepted {
            inverseErrors[2] = inverseErrors[1]
            inverseErrors[1] = inverseErrors[0]
        }
        step *= factor
        return accepted
    }
}

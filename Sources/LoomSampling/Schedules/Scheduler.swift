import Foundation

/// ComfyUI's schedulers: how `steps` noise levels (plus the final 0) are placed between the model's
/// largest and smallest sigma. Each mirrors ComfyUI's float32 arithmetic so that the sigmas match.
public enum Scheduler: String, CaseIterable, Sendable {
    case simple
    case sgmUniform = "sgm_uniform"
    case karras
    case exponential
    case ddimUniform = "ddim_uniform"
    case beta
    case normal
    case linearQuadratic = "linear_quadratic"
    case klOptimal = "kl_optimal"

    public init(named name: String) throws(SamplingError) {
        guard let scheduler = Scheduler(rawValue: name) else { throw .unknownScheduler(name) }
        self = scheduler
    }

    /// ComfyUI's `calculate_sigmas`: usually `steps + 1` sigmas ending in 0.
    public func sigmas(steps: Int, modelSampling: some ModelSampling) -> [Float] {
        let table = modelSampling.sigmas
        switch self {
        case .simple:
            let stride = Double(table.count) / Double(steps)
            return (0..<steps).map { table[table.count - 1 - Int(Double($0) * stride)] } + [0]
        case .sgmUniform:
            let timesteps = torchLinspace(
                modelSampling.timestep(sigma: modelSampling.sigmaMax),
                modelSampling.timestep(sigma: modelSampling.sigmaMin), count: steps + 1)
            return timesteps.dropLast().map { modelSampling.sigma(timestep: $0) } + [0]
        case .normal:
            let start = modelSampling.timestep(sigma: modelSampling.sigmaMax)
            let end = modelSampling.timestep(sigma: modelSampling.sigmaMin)
            // A model whose last timestep is already noise-free ends there instead of appending 0.
            let endsAtZero = abs(modelSampling.sigma(timestep: end)) <= 1e-5
            let timesteps = torchLinspace(start, end, count: endsAtZero ? steps + 1 : steps)
            let sigmas = timesteps.map { modelSampling.sigma(timestep: $0) }
            return endsAtZero ? sigmas : sigmas + [0]
        case .karras:
            let rho = 7.0
            let minInverse = pow(Double(modelSampling.sigmaMin), 1 / rho)
            let maxInverse = pow(Double(modelSampling.sigmaMax), 1 / rho)
            let span = Float(minInverse - maxInverse)
            return torchLinspace(0, 1, count: steps).map { roundedPow(Float(maxInverse) + $0 * span, Float(rho)) } + [0]
        case .exponential:
            let logs = torchLinspace(
                Float(log(Double(modelSampling.sigmaMax))), Float(log(Double(modelSampling.sigmaMin))), count: steps)
            return logs.map(roundedExp) + [0]
        case .ddimUniform:
            return ddimUniform(steps: steps, table: table)
        case .beta:
            return beta(steps: steps, table: table, alpha: 0.6, beta: 0.6)
        case .linearQuadratic:
            return linearQuadratic(steps: steps).map { Float($0) * modelSampling.sigmaMax }
        case .klOptimal:
            let atanMin = Float(atan(Double(modelSampling.sigmaMin)))
            let atanMax = Float(atan(Double(modelSampling.sigmaMax)))
            // steps = 1 divides 0 by 0 in ComfyUI too, giving a NaN sigma. PyTorch's vectorised
            // tan can differ from libm's in the last bit, so these sigmas match to 1 ulp.
            return (0..<steps).map { index -> Float in
                let fraction = Float(index) / Float(steps - 1)
                return tanf(fraction * atanMin + (1 - fraction) * atanMax)
            } + [0]
        }
    }

    private func ddimUniform(steps: Int, table: [Float]) -> [Float] {
        var steps = steps
        var sigmas: [Float] = []
        if abs(table[1]) <= 1e-5 {
            steps += 1
        } else {
            sigmas = [0]
        }
        let stride = max(table.count / steps, 1)
        sigmas += Swift.stride(from: 1, to: table.count, by: stride).map { table[$0] }
        return sigmas.reversed()
    }

    /// Timesteps at the beta(α, β) quantiles of 1 − i/steps, rounded to the table, duplicates after
    /// rounding dropped (arXiv 2407.12173).
    private func beta(steps: Int, table: [Float], alpha: Double, beta: Double) -> [Float] {
        let last = Double(table.count - 1)
        var sigmas: [Float] = []
        var previous = -1.0
        for index in 0..<steps {
            let quantile = 1 - Double(index) * (1 / Double(steps))
            let timestep = (IncompleteBeta.inverse(quantile, a: alpha, b: beta) * last).rounded(.toNearestOrEven)
            if timestep != previous { sigmas.append(table[Int(timestep)]) }
            previous = timestep
        }
        return sigmas + [0]
    }

    /// Mochi's schedule: linear to 0.025 over the first half of the steps, quadratic to 1 after.
    private func linearQuadratic(steps: Int) -> [Double] {
        if steps == 1 { return [1, 0] }
        let threshold = 0.025
        let linearSteps = steps / 2
        let linear = (0..<linearSteps).map { Double($0) * threshold / Double(linearSteps) }
        let thresholdStepDifference = Double(linearSteps) - threshold * Double(steps)
        let quadraticSteps = Double(steps - linearSteps)
        let quadraticCoefficient = thresholdStepDifference / (Double(linearSteps) * quadraticSteps * quadraticSteps)
        let linearCoefficient = threshold / Double(linearSteps)
            - 2 * thresholdStepDifference / (quadraticSteps * quadraticSteps)
        let constant = quadraticCoefficient * Double(linearSteps * linearSteps)
        let quadratic = (linearSteps..<steps).map { step -> Double in
            let i = Double(step)
            return quadraticCoefficient * (i * i) + linearCoefficient * i + constant
        }
        return (linear + quadratic + [1]).map { 1 - $0 }
    }
}

/// `torch.linspace` in float32 as PyTorch's CPU kernel computes it: fused multiply–adds from the
/// start for the first half, back from the end for the second.
func torchLinspace(_ start: Float, _ end: Float, count: Int) -> [Float] {
    if count == 1 { return [start] }
    let step = (end - start) / Float(count - 1)
    let halfway = count / 2
    return (0..<count).map { index in
        index < halfway
            ? start.addingProduct(step, Float(index))
            : end.addingProduct(-step, Float(count - index - 1))
    }
}

/// float32 functions rounded from double precision: correctly rounded, as PyTorch's scalar float32
/// `exp` and `pow` are in practice where libm's float versions can be off by one bit. (PyTorch's
/// vectorised exp, for 16 or more values, can differ from both by one bit.)
private func roundedExp(_ x: Float) -> Float { Float(exp(Double(x))) }
private func roundedPow(_ x: Float, _ y: Float) -> Float { Float(pow(Double(x), Double(y))) }

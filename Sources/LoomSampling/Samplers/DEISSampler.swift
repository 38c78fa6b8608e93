import Foundation

/// `deis`: the diffusion exponential integrator sampler in its tabulated form ("tAB-DEIS", up to
/// third order): the sigmas are mapped to the time of a variance-preserving schedule fitted to
/// EDM's range (σ 0.002…80, ε = 1e-3), and each step's multistep weights integrate the Lagrange
/// basis through the previous times against the exponential-integrator kernel, as a 10 000-point
/// Riemann sum as ComfyUI computes it.
public struct DEISSampler: Sampler {
    public var maxOrder: Int

    public init(maxOrder: Int = 3) {
        self.maxOrder = maxOrder
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        var history: [[Float]] = []  // oldest first, at most maxOrder − 1
        let coefficients = Self.coefficients(sigmas: sigmas.map(Double.init), maxOrder: maxOrder)
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            let derivative = x.derivative(denoised: denoised, sigma: sigma)
            let order = sigmaNext <= 0 ? 1 : min(maxOrder, i + 1)
            if order == 1 {
                x = x.adding(sigmaNext - sigma, times: derivative)
            } else {
                let weights = coefficients[i]
                x = x.adding(weights[0], times: derivative)
                for k in 1..<order {
                    x = x.adding(weights[k], times: history[history.count - k])
                }
            }
            history.append(derivative)
            if history.count > maxOrder - 1 { history.removeFirst() }
        }
        return x
    }

    /// Per step, the weights of the current and previous derivatives (empty for first-order steps).
    static func coefficients(sigmas: [Double], maxOrder: Int, points: Int = 10_000) -> [[Double]] {
        // The VP schedule through EDM's σ range: β(t) linear from β0 to β1 over t ∈ [ε, 1].
        let epsilon = 1e-3, sigmaMin = 0.002, sigmaMax = 80.0
        let betaD = 2 * (log(sigmaMin * sigmaMin + 1) / epsilon - log(sigmaMax * sigmaMax + 1)) / (epsilon - 1)
        let beta0 = log(sigmaMax * sigmaMax + 1) - 0.5 * betaD
        let beta1 = betaD + beta0
        let times = sigmas.map { ((beta0 * beta0 + 2 * betaD * log($0 * $0 + 1)).squareRoot() - beta0) / betaD }

        func integrand(_ tau: Double) -> Double {
            let alpha = exp(-0.5 * tau * tau * (beta1 - beta0) - tau * beta0)
            let logAlphaSlope = -tau * (beta1 - beta0) - beta0
            return -0.5 * logAlphaSlope / (alpha * (1 - alpha)).squareRoot()
        }

        return (0..<max(times.count - 1, 0)).map { i -> [Double] in
            let order = min(i + 1, maxOrder)
            guard order > 1 else { return [] }
            let (start, end) = (times[i], times[i + 1])
            let step = (end - start) / Double(points)
            let nodes = (0..<order).map { times[i - $0] }
            let taus = (0..<points).map { start + (end - start) * Double($0) / Double(points - 1) }
            let kernel = taus.map(integrand)
            return (0..<order).map { j in
                var sum = 0.0
                for (tau, weight) in zip(taus, kernel) {
                    var basis = 1.0
                    for k in 0..<order where k != j { basis *= (tau - nodes[k]) / (nodes[j] - nodes[k]) }
                    sum += weight * basis
                }
                return sum * step
            }
        }
    }
}

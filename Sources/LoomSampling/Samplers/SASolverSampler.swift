import Foundation

/// `sa_solver` / `sa_solver_pece`: the stochastic Adams solver (SA-Solver, NeurIPS 2023) in
/// half-log-SNR time for flow models: a predictor of up to third order and a corrector of up to
/// fourth order over the stored predictions, stochastic (τ = 1) between 20 % and 80 % of the
/// schedule, with seeded per-step noise. PECE mode evaluates the model again after correcting.
public struct SASolverSampler: Sampler {
    public var predictorOrder: Int
    public var correctorOrder: Int
    public var evaluatesCorrectedState: Bool
    public var noiseMultiplier: Double

    public init(predictorOrder: Int = 3, correctorOrder: Int = 4, evaluatesCorrectedState: Bool = false,
                noiseMultiplier: Double = 1) {
        self.predictorOrder = predictorOrder
        self.correctorOrder = correctorOrder
        self.evaluatesCorrectedState = evaluatesCorrectedState
        self.noiseMultiplier = noiseMultiplier
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        let prediction = context.modelSampling.prediction
        guard sigmas.count > 1 else { return x }
        let sigmas = offsettingFirstSigmaForSNR(sigmas, modelSampling: context.modelSampling)
        let lambdas = sigmas.map { prediction.halfLogSNR(Double($0)) }
        let stochasticFrom = context.modelSampling.percentToSigma(0.2)
        let stochasticTo = context.modelSampling.percentToSigma(0.8)
        func tau(_ sigma: Float) -> Double { stochasticFrom >= Double(sigma) && Double(sigma) >= stochasticTo ? 1 : 0 }

        let maxOrder = max(predictorOrder, correctorOrder)
        let lowersOrderToEnd = sigmas[sigmas.count - 1] == 0
        var x = x
        var predicted = x
        var h = 0.0, currentTau = 0.0
        var noise: [Float]?
        var predictions: [[Float]] = []
        let stepCount = sigmas.count - 1
        for i in 0..<stepCount {
            let sigma = Double(sigmas[i])
            var denoised = try await context.denoise(predicted, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: predicted, denoised: denoised)
            predictions.append(denoised)
            if predictions.count > maxOrder { predictions.removeFirst() }

            var predictorUsed = min(predictorOrder, predictions.count)
            var correctorUsed = i == 0 || (sigmas[i + 1] == 0 && !evaluatesCorrectedState)
                ? 0 : min(correctorOrder, predictions.count)
            if lowersOrderToEnd {
                predictorUsed = min(predictorUsed, sigmas.count - 2 - i)
                correctorUsed = min(correctorUsed, sigmas.count - 1 - i)
            }

            if correctorUsed == 0 {
                x = predicted
            } else {
                let weights = Self.adamsWeights(
                    sigmaNext: sigma, lambdas: Array(lambdas[(i - correctorUsed + 1)...i]),
                    from: lambdas[i - 1], to: lambdas[i], tau: currentTau)
                x = x.scaled(sigma / Double(sigmas[i - 1]) * exp(-(currentTau * currentTau) * h))
                x = Self.adding(weights, of: predictions.suffix(correctorUsed), to: x)
                if let noise, currentTau > 0 && noiseMultiplier > 0 { x = x.adding(1, times: noise) }
                if evaluatesCorrectedState {
                    denoised = try await context.denoise(x, sigma: sigma)
                    predictions[predictions.count - 1] = denoised
                }
            }

            if sigmas[i + 1] == 0 {
                x = denoised
                continue
            }
            let sigmaNext = Double(sigmas[i + 1])
            currentTau = tau(sigmas[i + 1])
            let weights = Self.adamsWeights(
                sigmaNext: sigmaNext, lambdas: Array(lambdas[(i - predictorUsed + 1)...i]),
                from: lambdas[i], to: lambdas[i + 1], tau: currentTau)
            h = lambdas[i + 1] - lambdas[i]
            predicted = Self.adding(weights, of: predictions.suffix(predictorUsed),
                                    to: x.scaled(sigmaNext / sigma * exp(-(currentTau * currentTau) * h)))
            if currentTau > 0 && noiseMultiplier > 0 {
                let spread = sigmaNext * (-expm1(-2 * currentTau * currentTau * h)).squareRoot() * noiseMultiplier
                let stepNoise = context.noise(from: sigma, to: sigmaNext).scaled(spread)
                noise = stepNoise
                predicted = predicted.adding(1, times: stepNoise)
            }
        }
        return x
    }

    private static func adding(_ weights: [Double], of predictions: ArraySlice<[Float]>, to x: [Float]) -> [Float] {
        zip(weights, predictions).reduce(x) { $0.adding($1.0, times: $1.1) }
    }

    /// The b coefficients (eqs. 15 and 18): the exponentially weighted integrals of the Lagrange
    /// basis through `lambdas` over [λs, λt], times α_t.
    static func adamsWeights(sigmaNext: Double, lambdas: [Double], from lambdaS: Double, to lambdaT: Double, tau: Double) -> [Double] {
        let n = lambdas.count
        let integrals = exponentialMoments(from: lambdaS, to: lambdaT, count: n, tau: tau)
        // Vandermondeᵀ · weights = moments.
        let matrix = (0..<n).map { p in lambdas.map { pow($0, Double(p)) } }
        let weights = solveLinearSystem(matrix, integrals)
        let alphaT = sigmaNext * exp(lambdaT)
        return weights.map { alphaT * $0 }
    }

    /// (1 + τ²)·∫ e^((1+τ²)(x − t)) x^p dx from s to t for p < count, by integration by parts.
    static func exponentialMoments(from s: Double, to t: Double, count: Int, tau: Double) -> [Double] {
        let scale = 1 + tau * tau
        let decay = exp(-scale * (t - s))
        let products = (0..<count).map { p in pow(t, Double(p)) - pow(s, Double(p)) * decay }
        return (0..<count).map { i in
            (0...i).reduce(0.0) { sum, j in
                let depth = Double(i - j)
                var logCoefficient = lgamma(Double(i + 1)) - lgamma(Double(j + 1))
                if tau > 0 { logCoefficient -= depth * log(scale) }
                let sign: Double = (i - j) % 2 == 0 ? 1 : -1
                return sum + sign * exp(logCoefficient) * products[j]
            }
        }
    }
}

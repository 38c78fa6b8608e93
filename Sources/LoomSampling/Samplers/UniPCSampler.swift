import Foundation

/// `uni_pc` / `uni_pc_bh2`: the UniPC predictor–corrector multistep solver (up to third order,
/// data prediction, lower orders at the ends) as ComfyUI runs it for every model type: in variance-
/// preserving form, with sigma as its time variable (α = 1/√(σ²+1), λ = −log σ).
///
/// ComfyUI replaces a final sigma of 0 by 0.001 in the caller's tensor, so the result is the state
/// at 0.001 rescaled, and the un-scaling after sampling divides by 1 − 0.001.
public struct UniPCSampler: Sampler {
    /// The B(h) of the update: h (bh1) or e^h − 1 (bh2).
    public enum Variant: Sendable { case bh1, bh2 }

    public var variant: Variant

    public init(variant: Variant = .bh1) {
        self.variant = variant
    }

    public func effectiveSigmas(_ sigmas: [Float]) -> [Float] {
        guard sigmas.last == 0 else { return sigmas }
        var sigmas = sigmas
        sigmas[sigmas.count - 1] = 0.001
        return sigmas
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        let times = effectiveSigmas(sigmas)
        guard let first = times.first, let last = times.last else { return x }
        let steps = times.count - 1
        let order = min(3, times.count - 2)
        let solver = Solver(variant: variant, context: context)
        let startScale = (1 + first * first).squareRoot()
        var x = x.map { $0 / startScale }
        var models: [[Float]] = []
        var modelTimes: [Float] = []
        for stepIndex in 0..<max(steps, 0) {
            if stepIndex == 0 {
                models = [try await solver.dataPrediction(x, at: first)]
                modelTimes = [first]
            } else if stepIndex < order {
                let t = times[stepIndex]
                let (next, model) = try await solver.update(x, models: models, times: modelTimes, to: t,
                                                             order: stepIndex, correcting: true)
                x = next
                if let model {
                    models.append(model)
                } else {
                    models.append(try await solver.dataPrediction(x, at: t))
                }
                modelTimes.append(t)
            } else {
                // The last iteration also takes the final step, without a corrector.
                let lastStep = stepIndex == steps - 1 ? stepIndex + 1 : stepIndex
                for step in stepIndex...lastStep {
                    let t = times[step]
                    let (next, model) = try await solver.update(x, models: models, times: modelTimes, to: t,
                                                                 order: min(order, steps + 1 - step),
                                                                 correcting: step != steps)
                    x = next
                    // The final state needs no model output; the newest one stays reported.
                    var newest = models[models.count - 1]
                    if step < steps {
                        if let model { newest = model } else { newest = try await solver.dataPrediction(x, at: t) }
                    }
                    models = Array(models.dropFirst()) + [newest]
                    modelTimes = Array(modelTimes.dropFirst()) + [t]
                }
            }
            try await context.report(index: stepIndex, of: steps, sigma: Double(times[stepIndex]), x: x,
                                     denoised: models[models.count - 1])
        }
        let endAlpha = solver.alpha(last)
        return x.map { $0 / endAlpha }
    }

    /// The solver's scalar arithmetic is float32 with ComfyUI's formulas, because it is
    /// ill-conditioned near sigma 0.001 (λ there loses digits in 1 − α²) and ComfyUI's results
    /// depend on that rounding.
    private struct Solver {
        let variant: Variant
        let context: SamplingContext

        func logMeanCoefficient(_ sigma: Float) -> Float { 0.5 * logf(1 / (sigma * sigma + 1)) }
        func alpha(_ sigma: Float) -> Float { expf(logMeanCoefficient(sigma)) }
        func standardDeviation(_ sigma: Float) -> Float { (1 - expf(2 * logMeanCoefficient(sigma))).squareRoot() }
        func lambda(_ sigma: Float) -> Float {
            let logMean = logMeanCoefficient(sigma)
            return logMean - 0.5 * logf(1 - expf(2 * logMean))
        }

        /// The model's x0 for the variance-preserving state x at sigma, through the noise prediction
        /// as ComfyUI computes it.
        func dataPrediction(_ x: [Float], at sigma: Float) async throws -> [Float] {
            let scale = (sigma * sigma + 1).squareRoot()
            let input = x.map { $0 * scale }
            let denoised = try await context.denoise(input, sigma: Double(sigma))
            let (alphaT, sigmaT) = (alpha(sigma), standardDeviation(sigma))
            return (0..<x.count).map { i in (x[i] - sigmaT * ((input[i] - denoised[i]) / sigma)) / alphaT }
        }

        /// One UniPC step from the newest stored model output to time t: predictor from the stored
        /// differences, corrector (when asked) with the model evaluated at the predicted state.
        func update(
            _ x: [Float], models: [[Float]], times: [Float], to t: Float, order: Int, correcting: Bool
        ) async throws -> (state: [Float], model: [Float]?) {
            let newest = models[models.count - 1], newestTime = times[times.count - 1]
            let lambdaNewest = lambda(newestTime)
            let h = lambda(t) - lambdaNewest
            var ratios: [Float] = []
            var differences: [[Float]] = []
            for i in 1..<max(order, 1) {
                let ratio = (lambda(times[times.count - 1 - i]) - lambdaNewest) / h
                ratios.append(ratio)
                differences.append(zip(models[models.count - 1 - i], newest).map { ($0 - $1) / ratio })
            }
            ratios.append(1)

            let hh = -h
            let hPhi1 = expm1f(hh)
            let bh = variant == .bh1 ? hh : expm1f(hh)
            var hPhiK = hPhi1 / hh - 1
            var factorial = 1
            var matrix: [[Float]] = []
            var rhs: [Float] = []
            for i in 1...order {
                matrix.append(ratios.map { Self.power($0, i - 1) })
                rhs.append(hPhiK * Float(factorial) / bh)
                factorial *= i + 1
                hPhiK = hPhiK / hh - Float(1 / Double(factorial))
            }

            let alphaT = alpha(t)
            let stateFactor = standardDeviation(t) / standardDeviation(newestTime)
            let base = x.scaled(Double(stateFactor), plus: Double(-(alphaT * hPhi1)), times: newest)
            let step = Double(-(alphaT * bh))
            var predicted = base
            if !differences.isEmpty {
                let weights: [Float] = order == 2
                    ? [0.5]
                    : solveLinearSystem(Array(matrix.dropLast().map { Array($0.dropLast()) }), Array(rhs.dropLast()))
                predicted = base.adding(step, times: weightedSum(differences, weights))
            }
            guard correcting else { return (predicted, nil) }

            let weights: [Float] = order == 1 ? [0.5] : solveLinearSystem(matrix, rhs)
            let model = try await dataPrediction(predicted, at: t)
            let lastWeight = weights[weights.count - 1]
            var correction = zip(model, newest).map { lastWeight * ($0 - $1) }
            if !differences.isEmpty {
                let earlier = weightedSum(differences, Array(weights.dropLast()))
                correction = zip(earlier, correction).map { $0 + $1 }
            }
            return (base.adding(step, times: correction), model)
        }

        /// `torch.pow` with a small integer exponent.
        private static func power(_ base: Float, _ exponent: Int) -> Float {
            (0..<exponent).reduce(Float(1)) { product, _ in product * base }
        }

        private func weightedSum(_ vectors: [[Float]], _ weights: [Float]) -> [Float] {
            var sum = vectors[0].map { $0 * weights[0] }
            for k in 1..<vectors.count {
                for i in sum.indices { sum[i] += vectors[k][i] * weights[k] }
            }
            return sum
        }
    }
}

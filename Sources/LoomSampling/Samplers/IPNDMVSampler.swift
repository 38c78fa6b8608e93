/// `ipndm_v`: iPNDM with variable step sizes — Adams–Bashforth weights derived from the actual
/// spacing of the last sigmas instead of assuming equal steps; up to fourth order.
public struct IPNDMVSampler: Sampler {
    public var maxOrder: Int

    public init(maxOrder: Int = 4) {
        self.maxOrder = maxOrder
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        var history: [[Float]] = []  // oldest first, at most maxOrder − 1
        let t = sigmas.map(Double.init)
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let denoised = try await context.denoise(x, sigma: t[i])
            try await context.report(index: i, of: stepCount, sigma: t[i], x: x, denoised: denoised)
            let derivative = x.derivative(denoised: denoised, sigma: t[i])
            let order = min(maxOrder, i + 1)
            if t[i + 1] == 0 {
                x = denoised
            } else {
                let weights = Self.weights(order: order, times: t, step: i)
                var combined = derivative.scaled(weights[0])
                for k in 1..<order {
                    combined = combined.adding(weights[k], times: history[history.count - k])
                }
                x = x.adding(t[i + 1] - t[i], times: combined)
            }
            history.append(derivative)
            if history.count > maxOrder - 1 { history.removeFirst() }
        }
        return x
    }

    /// The weights of the current derivative and the 1…3 previous ones for the step from t[i].
    private static func weights(order: Int, times t: [Double], step i: Int) -> [Double] {
        if order == 1 { return [1] }
        let h0 = t[i + 1] - t[i], h1 = t[i] - t[i - 1]
        let ratio = h0 / h1
        if order == 2 { return [(2 + ratio) / 2, -ratio / 2] }
        let h2 = t[i - 1] - t[i - 2]
        let temp1 = (1 - h0 / (3 * (h0 + h1)) * (h0 * (h0 + h1)) / (h1 * (h1 + h2))) / 2
        if order == 3 {
            return [(2 + ratio) / 2 + temp1, -ratio / 2 - (1 + h1 / h2) * temp1, temp1 * h1 / h2]
        }
        let h3 = t[i - 2] - t[i - 3]
        let temp2 = ((1 - h0 / (3 * (h0 + h1))) / 2 + (1 - h0 / (2 * (h0 + h1))) * h0 / (6 * (h0 + h1 + h2)))
            * (h0 * (h0 + h1) * (h0 + h1 + h2)) / (h1 * (h1 + h2) * (h1 + h2 + h3))
        let spacing = h1 * (h1 + h2) / (h2 * (h2 + h3))
        return [
            (2 + ratio) / 2 + temp1 + temp2,
            -ratio / 2 - (1 + h1 / h2) * temp1 - (1 + h1 / h2 + spacing) * temp2,
            temp1 * h1 / h2 + (h1 / h2 + spacing * (1 + h2 / h3)) * temp2,
            -temp2 * spacing * h1 / h2,
        ]
    }
}

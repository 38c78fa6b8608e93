/// `ipndm`: improved pseudo-numerical (Adams–Bashforth) multistep on the Karras derivative, up to
/// fourth order from the stored derivatives of earlier steps.
public struct IPNDMSampler: Sampler {
    public var maxOrder: Int

    public init(maxOrder: Int = 4) {
        self.maxOrder = maxOrder
    }

    /// Adams–Bashforth weights (newest derivative first) and their common divisor, per order.
    private static let weights: [(terms: [Double], divisor: Double)] = [
        ([1], 1), ([3, -1], 2), ([23, -16, 5], 12), ([55, -59, 37, -9], 24),
    ]

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        var history: [[Float]] = []  // oldest first, at most maxOrder − 1
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let sigma = Double(sigmas[i]), sigmaNext = Double(sigmas[i + 1])
            let denoised = try await context.denoise(x, sigma: sigma)
            try await context.report(index: i, of: stepCount, sigma: sigma, x: x, denoised: denoised)
            let derivative = x.derivative(denoised: denoised, sigma: sigma)
            let order = min(maxOrder, i + 1)
            if sigmaNext == 0 {
                x = denoised
            } else {
                let (terms, divisor) = Self.weights[order - 1]
                var combined = derivative.scaled(terms[0])
                for k in 1..<order {
                    combined = combined.adding(terms[k], times: history[history.count - k])
                }
                x = x.adding(sigmaNext - sigma, times: combined.scaled(1 / divisor))
            }
            history.append(derivative)
            if history.count > maxOrder - 1 { history.removeFirst() }
        }
        return x
    }
}

/// `lms`: linear multistep over the last `order` derivatives, with coefficients that integrate the
/// Lagrange basis polynomials through the previous sigmas over the current step.
public struct LMSSampler: Sampler {
    public var order: Int

    public init(order: Int = 4) {
        self.order = order
    }

    public func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float] {
        var x = x
        var derivatives: [[Float]] = []
        let nodes = sigmas.map(Double.init)
        let stepCount = sigmas.count - 1
        for i in 0..<max(stepCount, 0) {
            let denoised = try await context.denoise(x, sigma: nodes[i])
            derivatives.append(x.derivative(denoised: denoised, sigma: nodes[i]))
            if derivatives.count > order { derivatives.removeFirst() }
            try await context.report(index: i, of: stepCount, sigma: nodes[i], x: x, denoised: denoised)
            if nodes[i + 1] == 0 {
                x = denoised
                continue
            }
            let currentOrder = min(i + 1, order)
            for j in 0..<currentOrder {
                let coefficient = Self.coefficient(order: currentOrder, nodes: nodes, step: i, term: j)
                x = x.adding(coefficient, times: derivatives[derivatives.count - 1 - j])
            }
        }
        return x
    }

    /// ∫ from t_i to t_(i+1) of the Lagrange basis polynomial that is 1 at t_(i−j) and 0 at the other
    /// nodes t_i … t_(i−order+1). The integrand has degree order − 1 ≤ 3 in ComfyUI's use, so
    /// 3-point Gauss–Legendre integrates it exactly (up to degree 5).
    static func coefficient(order: Int, nodes: [Double], step i: Int, term j: Int) -> Double {
        func basis(_ tau: Double) -> Double {
            var product = 1.0
            for k in 0..<order where k != j {
                product *= (tau - nodes[i - k]) / (nodes[i - j] - nodes[i - k])
            }
            return product
        }
        let a = nodes[i], b = nodes[i + 1]
        let half = (b - a) / 2, middle = (a + b) / 2
        let offset = (3.0 / 5.0).squareRoot()
        return half * (5 * basis(middle - half * offset) + 8 * basis(middle) + 5 * basis(middle + half * offset)) / 9
    }
}

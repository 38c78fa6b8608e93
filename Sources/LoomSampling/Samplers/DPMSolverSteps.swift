import Foundation

/// The single-step DPM-Solver updates (arXiv 2206.00927) in t = −log σ on the noise prediction
/// ε = (x − denoised)/σ, shared by `dpm_fast` and `dpm_adaptive`. Noise predictions at the
/// intermediate points are kept per step, since the second- and third-order updates share them.
struct DPMSolverSteps {
    let context: SamplingContext
    private(set) var evaluations = 0
    private var cache: [Double: [Float]] = [:]

    init(context: SamplingContext) {
        self.context = context
    }

    static func sigma(_ t: Double) -> Double { exp(-t) }
    static func time(_ sigma: Double) -> Double { -log(sigma) }

    /// Forgets the noise predictions of the previous step.
    mutating func startStep() { cache = [:] }

    /// ε at (x, t), evaluated once per step and point.
    mutating func noise(_ x: [Float], at t: Double, key: Double) async throws -> [Float] {
        if let cached = cache[key] { return cached }
        let sigma = Self.sigma(t)
        let denoised = try await context.denoise(x, sigma: sigma)
        evaluations += 1
        let eps = x.derivative(denoised: denoised, sigma: sigma)
        cache[key] = eps
        return eps
    }

    mutating func firstOrder(_ x: [Float], from t: Double, to tNext: Double) async throws -> [Float] {
        let eps = try await noise(x, at: t, key: 0)
        return x.adding(-Self.sigma(tNext) * expm1(tNext - t), times: eps)
    }

    mutating func secondOrder(_ x: [Float], from t: Double, to tNext: Double, r1: Double = 1.0 / 2) async throws -> [Float] {
        let h = tNext - t
        let eps = try await noise(x, at: t, key: 0)
        let s1 = t + r1 * h
        let u1 = x.adding(-Self.sigma(s1) * expm1(r1 * h), times: eps)
        let eps1 = try await noise(u1, at: s1, key: r1)
        return x.adding(-Self.sigma(tNext) * expm1(h), times: eps)
            .adding(-Self.sigma(tNext) / (2 * r1) * expm1(h), times: eps1.minus(eps))
    }

    mutating func thirdOrder(_ x: [Float], from t: Double, to tNext: Double) async throws -> [Float] {
        let (r1, r2) = (1.0 / 3, 2.0 / 3)
        let h = tNext - t
        let eps = try await noise(x, at: t, key: 0)
        let s1 = t + r1 * h, s2 = t + r2 * h
        let u1 = x.adding(-Self.sigma(s1) * expm1(r1 * h), times: eps)
        let eps1 = try await noise(u1, at: s1, key: r1)
        let u2 = x.adding(-Self.sigma(s2) * expm1(r2 * h), times: eps)
            .adding(-Self.sigma(s2) * (r2 / r1) * (expm1(r2 * h) / (r2 * h) - 1), times: eps1.minus(eps))
        let eps2 = try await noise(u2, at: s2, key: r2)
        return x.adding(-Self.sigma(tNext) * expm1(h), times: eps)
            .adding(-Self.sigma(tNext) / r2 * (expm1(h) / h - 1), times: eps2.minus(eps))
    }
}

/// The lowest sigma DPM-Solver integrates to: the last one, or the one before a final 0.
func dpmSolverEndSigma(_ sigmas: [Float]) -> Double {
    let last = sigmas[sigmas.count - 1]
    return Double(last == 0 ? sigmas[sigmas.count - 2] : last)
}

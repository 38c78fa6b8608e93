/// Discrete flow model sampling (ComfyUI `ModelSamplingDiscreteFlow`), which Flux schnell uses with
/// shift 1 and multiplier 1: 1000 timesteps, `sigma = shift·t / (1 + (shift − 1)·t)` with
/// t = timestep / multiplier, `timestep(sigma) = sigma · multiplier`.
public struct DiscreteFlowModelSampling: ModelSampling {
    public var prediction: PredictionType { .flow }
    public let shift: Double
    public let multiplier: Double
    public let sigmas: [Float]

    /// Flux schnell's settings.
    public static let schnell = DiscreteFlowModelSampling(shift: 1, multiplier: 1)

    public init(shift: Double = 1, multiplier: Double = 1000) {
        self.shift = shift
        self.multiplier = multiplier
        let steps = 1000
        let scale = Float(multiplier)
        sigmas = (1...steps).map { Self.shifted((Float($0) / Float(steps)) * scale / scale, shift: shift) }
    }

    public func sigma(timestep: Float) -> Float {
        Self.shifted(timestep / Float(multiplier), shift: shift)
    }

    public func timestep(sigma: Float) -> Float { sigma * Float(multiplier) }

    public func percentToSigma(_ percent: Double) -> Double {
        if percent <= 0 { return 1 }
        if percent >= 1 { return 0 }
        let t = 1 - percent
        return shift == 1 ? t : shift * t / (1 + (shift - 1) * t)
    }

    private static func shifted(_ t: Float, shift: Double) -> Float {
        if shift == 1 { return t }
        return Float(shift) * t / (1 + Float(shift - 1) * t)
    }
}

import Foundation

/// Flux dev / Fill model sampling (ComfyUI `ModelSamplingFlux`): the time shift
/// `sigma(t) = e^μ / (e^μ + (1/t − 1))` over 10 000 timesteps t = i/10000, `timestep(sigma) = sigma`.
public struct FluxModelSampling: ModelSampling {
    public var prediction: PredictionType { .flow }
    public static let defaultShift = 1.15
    public let shift: Double
    public let sigmas: [Float]

    public init(shift: Double = FluxModelSampling.defaultShift) {
        self.shift = shift
        let steps = 10_000
        let expShift = Float(Foundation.exp(shift))
        sigmas = (1...steps).map { Self.shifted(Float($0) / Float(steps), expShift: expShift) }
    }

    /// The shift the ModelSamplingFlux node derives from the image size: linear in the number of
    /// 2×2 latent patches, `base_shift` at 256 patches and `max_shift` at 4096.
    public init(width: Int, height: Int, maxShift: Double = 1.15, baseShift: Double = 0.5) {
        let slope = (maxShift - baseShift) / (4096 - 256)
        let intercept = baseShift - slope * 256
        self.init(shift: Double(width * height) / (8 * 8 * 2 * 2) * slope + intercept)
    }

    public func sigma(timestep: Float) -> Float {
        Self.shifted(timestep, expShift: Float(Foundation.exp(shift)))
    }

    public func timestep(sigma: Float) -> Float { sigma }

    public func percentToSigma(_ percent: Double) -> Double {
        if percent <= 0 { return 1 }
        if percent >= 1 { return 0 }
        let expShift = Foundation.exp(shift)
        return expShift / (expShift + (1 / (1 - percent) - 1))
    }

    /// The float32 operations PyTorch performs: `e^μ · reciprocal(e^μ + (reciprocal(t) − 1))`.
    private static func shifted(_ t: Float, expShift: Float) -> Float {
        expShift * (1 / (expShift + (1 / t - 1)))
    }
}

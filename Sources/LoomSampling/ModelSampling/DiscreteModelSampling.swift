import Foundation

/// ComfyUI's `ModelSamplingDiscrete` (SD1.x, SD2.x, SDXL): 1000 timesteps of a "linear" beta schedule
/// (√β evenly spaced from √0.00085 to √0.012), σ = √((1 − ᾱ)/ᾱ); the timestep of a sigma is the
/// nearest table entry in log space, and a fractional timestep interpolates log σ.
public struct DiscreteModelSampling: ModelSampling {
    public let prediction: PredictionType
    public let sigmas: [Float]
    private let logSigmas: [Float]
    /// Zero terminal SNR: the schedule rescaled so its last step is (almost) pure noise.
    public let zeroTerminalSNR: Bool

    public init(prediction: PredictionType = .epsilon, zeroTerminalSNR: Bool = false,
                linearStart: Double = 0.00085, linearEnd: Double = 0.012, timesteps: Int = 1000) {
        self.prediction = prediction
        self.zeroTerminalSNR = zeroTerminalSNR
        // float64 as ComfyUI builds the table, rounded to float32 at the end.
        let first = linearStart.squareRoot(), last = linearEnd.squareRoot()
        var cumulative = 1.0
        var sigmas = [Double]()
        sigmas.reserveCapacity(timesteps)
        for index in 0..<timesteps {
            let root = timesteps == 1 ? first : first + (last - first) * Double(index) / Double(timesteps - 1)
            cumulative *= 1 - root * root
            sigmas.append(((1 - cumulative) / cumulative).squareRoot())
        }
        if zeroTerminalSNR { sigmas = Self.rescaledToZeroTerminalSNR(sigmas) }
        self.sigmas = sigmas.map { Float($0) }
        logSigmas = sigmas.map { Float(log($0)) }
    }

    /// The nearest table timestep in log σ, as ComfyUI's `timestep` returns it.
    public func timestep(sigma: Float) -> Float {
        let logSigma = logf(sigma)
        var best = 0
        var bestDistance = Float.infinity
        for (index, value) in logSigmas.enumerated() {
            let distance = abs(logSigma - value)
            if distance < bestDistance {
                best = index
                bestDistance = distance
            }
        }
        return Float(best)
    }

    public func sigma(timestep: Float) -> Float {
        let t = min(max(timestep.isNaN ? 0 : timestep, 0), Float(sigmas.count - 1))
        let low = Int(t.rounded(.down)), high = Int(t.rounded(.up))
        let weight = t - t.rounded(.down)
        return expf((1 - weight) * logSigmas[low] + weight * logSigmas[high])
    }

    public func percentToSigma(_ percent: Double) -> Double {
        if percent <= 0 { return 999_999_999.9 }
        if percent >= 1 { return 0 }
        return Double(sigma(timestep: Float((1 - percent) * 999)))
    }

    /// ComfyUI's `rescale_zero_terminal_snr_sigmas`.
    private static func rescaledToZeroTerminalSNR(_ sigmas: [Double]) -> [Double] {
        let roots = sigmas.map { (1 / ($0 * $0 + 1)).squareRoot() }
        let first = roots[0], last = roots[roots.count - 1]
        var bars = roots.map { ($0 - last) * first / (first - last) }.map { $0 * $0 }
        bars[bars.count - 1] = 4.8973451890853435e-08
        return bars.map { ((1 - $0) / $0).squareRoot() }
    }
}

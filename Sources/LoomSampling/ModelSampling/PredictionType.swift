import Foundation

/// What a diffusion network predicts, which fixes how its input is scaled, how its output becomes a
/// denoised latent and how noise is mixed in (ComfyUI's `EPS`, `V_PREDICTION` and `CONST` classes).
public enum PredictionType: String, Sendable, Hashable {
    /// Rectified flow (Flux, SD3): the state is `σ·noise + (1 − σ)·latent`, the output a velocity.
    case flow
    /// The noise itself (SD1.x, SDXL): the state is `latent + σ·noise`, scaled to unit variance going in.
    case epsilon
    /// v-prediction (SD2.x 768-v): the output mixes noise and signal.
    case velocity
    /// Image to image (Lotus): the network takes the state unscaled and predicts the clean latent (ComfyUI's `IMG_TO_IMG`).
    case imageToImage

    /// ComfyUI's `sigma_data` for the discrete models.
    static let sigmaData: Float = 1

    /// What the network is given for the state `x` at `sigma` (ComfyUI `calculate_input`).
    public func networkInput(_ x: [Float], sigma: Float) -> [Float] {
        switch self {
        case .flow, .imageToImage: return x
        case .epsilon, .velocity:
            let scale = 1 / (sigma * sigma + Self.sigmaData * Self.sigmaData).squareRoot()
            return x.map { $0 * scale }
        }
    }

    /// The denoised latent from the network's `output` for the state `x` (ComfyUI `calculate_denoised`).
    public func denoised(x: [Float], output: [Float], sigma: Float) -> [Float] {
        switch self {
        case .flow, .epsilon:
            return zip(x, output).map { $0 - $1 * sigma }
        case .velocity:
            let data = Self.sigmaData
            let variance = sigma * sigma + data * data
            let keep = data * data / variance
            let outputWeight = sigma * data / variance.squareRoot()
            return zip(x, output).map { $0 * keep - $1 * outputWeight }
        case .imageToImage:
            return output
        }
    }

    /// The sampler's starting state (ComfyUI `noise_scaling`). `maxDenoise`: the schedule starts at the
    /// model's largest sigma, where ComfyUI gives discrete models noise of variance 1 + σ².
    public func noiseScaling(sigma: Float, noise: [Float], latent: [Float], maxDenoise: Bool = false) -> [Float] {
        switch self {
        case .flow:
            let keep = 1 - sigma
            return zip(noise, latent).map { sigma * $0 + keep * $1 }
        case .epsilon, .velocity, .imageToImage:
            let scale = maxDenoise ? (1 + sigma * sigma).squareRoot() : sigma
            return zip(noise, latent).map { $0 * scale + $1 }
        }
    }

    /// Undoes the latent's share left at a final sigma above zero (ComfyUI `inverse_noise_scaling`).
    public func inverseNoiseScaling(sigma: Float, latent: [Float]) -> [Float] {
        switch self {
        case .flow:
            let keep = 1 - sigma
            return latent.map { $0 / keep }
        case .epsilon, .velocity, .imageToImage:
            return latent
        }
    }

    /// Half-log-SNR λ = log(α/σ), the time variable of the DPM-Solver++ family: α = 1 − σ for flow
    /// models, 1 for the discrete ones (ComfyUI `sigma_to_half_log_snr`).
    public func halfLogSNR(_ sigma: Double) -> Double {
        self == .flow ? log((1 - sigma) / sigma) : -log(sigma)
    }

    /// The float32 form, as `sigma.logit().neg()` / `sigma.log().neg()` compute it on tensors.
    public func halfLogSNR(_ sigma: Float) -> Float {
        self == .flow ? -logf(sigma / (1 - sigma)) : -logf(sigma)
    }

    /// The inverse of `halfLogSNR` (ComfyUI `half_log_snr_to_sigma`).
    public func sigma(halfLogSNR lambda: Double) -> Double {
        self == .flow ? 1 / (1 + exp(lambda)) : exp(-lambda)
    }

    public func sigma(halfLogSNR lambda: Float) -> Float {
        self == .flow ? 1 / (1 + expf(lambda)) : expf(-lambda)
    }
}

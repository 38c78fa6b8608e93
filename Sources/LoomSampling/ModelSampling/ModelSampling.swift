/// How a model maps noise levels (sigma) to its timestep input and what it predicts, as ComfyUI's
/// `model_sampling` object does: Flux dev/Fill (`FluxModelSampling`), schnell
/// (`DiscreteFlowModelSampling`) and the SD family's discrete schedules (`DiscreteModelSampling`).
///
/// Sigma-valued functions take and return `Float` because ComfyUI computes them on float32
/// tensors; reproducing that arithmetic keeps schedules identical to ComfyUI's.
public protocol ModelSampling: Sendable {
    /// ComfyUI's `sigmas` buffer: sigma at each discrete timestep, ascending.
    var sigmas: [Float] { get }
    var prediction: PredictionType { get }
    func sigma(timestep: Float) -> Float
    func timestep(sigma: Float) -> Float
    /// The sigma at a fraction of the way through sampling (start/end percent of ControlNets and
    /// conditioning ranges).
    func percentToSigma(_ percent: Double) -> Double
}

extension ModelSampling {
    public var sigmaMin: Float { sigmas[0] }
    public var sigmaMax: Float { sigmas[sigmas.count - 1] }

    /// Whether a schedule starting at `sigma` starts from pure noise (ComfyUI's `max_denoise`).
    public func startsFromPureNoise(_ sigma: Float) -> Bool {
        sigma > sigmaMax || abs(sigma - sigmaMax) <= 1e-5 * max(abs(sigma), abs(sigmaMax))
    }

    public func noiseScaling(sigma: Float, noise: [Float], latent: [Float], maxDenoise: Bool = false) -> [Float] {
        prediction.noiseScaling(sigma: sigma, noise: noise, latent: latent, maxDenoise: maxDenoise)
    }

    public func inverseNoiseScaling(sigma: Float, latent: [Float]) -> [Float] {
        prediction.inverseNoiseScaling(sigma: sigma, latent: latent)
    }

    /// The network's input for the sampler state `x`.
    public func networkInput(_ x: [Float], sigma: Float) -> [Float] { prediction.networkInput(x, sigma: sigma) }

    /// The denoised latent from the network's raw output.
    public func denoised(x: [Float], output: [Float], sigma: Float) -> [Float] {
        prediction.denoised(x: x, output: output, sigma: sigma)
    }
}

/// How a flow-matching model maps noise levels (sigma) to its timestep input, as ComfyUI's
/// `model_sampling` object does with the CONST prediction type: Flux dev/Fill
/// (`FluxModelSampling`) and schnell (`DiscreteFlowModelSampling`).
///
/// Sigma-valued functions take and return `Float` because ComfyUI computes them on float32
/// tensors; reproducing that arithmetic keeps schedules identical to ComfyUI's.
public protocol ModelSampling: Sendable {
    /// ComfyUI's `sigmas` buffer: sigma at each discrete timestep, ascending.
    var sigmas: [Float] { get }
    func sigma(timestep: Float) -> Float
    func timestep(sigma: Float) -> Float
    /// The sigma at a fraction of the way through sampling (start/end percent of ControlNets and
    /// conditioning ranges): 1 at 0 %, 0 at 100 %.
    func percentToSigma(_ percent: Double) -> Double
}

extension ModelSampling {
    public var sigmaMin: Float { sigmas[0] }
    public var sigmaMax: Float { sigmas[sigmas.count - 1] }

    /// The sampler's starting state: `sigma·noise + (1 − sigma)·latent`.
    public func noiseScaling(sigma: Float, noise: [Float], latent: [Float]) -> [Float] {
        let keep = 1 - sigma
        return zip(noise, latent).map { sigma * $0 + keep * $1 }
    }

    /// Undoes the latent's share left at a final sigma above zero (return_with_leftover_noise).
    public func inverseNoiseScaling(sigma: Float, latent: [Float]) -> [Float] {
        let keep = 1 - sigma
        return latent.map { $0 / keep }
    }

    /// The model's denoised prediction from its velocity output: `x − sigma·v`.
    public func denoised(x: [Float], velocity: [Float], sigma: Float) -> [Float] {
        zip(x, velocity).map { $0 - $1 * sigma }
    }
}

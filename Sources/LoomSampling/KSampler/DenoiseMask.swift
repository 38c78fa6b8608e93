/// A latent noise mask (`noise_mask`): 1 where the sampler repaints, 0 where the input latent is
/// kept, one value per latent element. ComfyUI's `KSamplerX0Inpaint` applies it around every model
/// call: the kept region of the state is replaced by the input latent noised to the current sigma,
/// and the kept region of the prediction by the input latent.
public struct DenoiseMask: Sendable {
    public var values: [Float]
    /// Differential Diffusion's strength, when that node patched the model: each step the mask is
    /// thresholded at the fraction of the schedule still to go (see `effectiveMask`).
    public var differentialDiffusionStrength: Double?

    public init(values: [Float], differentialDiffusionStrength: Double? = nil) {
        self.values = values
        self.differentialDiffusionStrength = differentialDiffusionStrength
    }

    /// The mask in force at `sigma`. With Differential Diffusion it is 1 where the mask reaches
    /// (t − t_end)/(t_start − t_end), blended with the soft mask for strengths below 1 (a strength
    /// of 0 counts as 1, as in ComfyUI). The arithmetic is float32, as the comparison is exact.
    func effectiveMask(at sigma: Double, stepSigmas: [Float], modelSampling: any ModelSampling) -> [Float] {
        guard let strength = differentialDiffusionStrength, let first = stepSigmas.first, let last = stepSigmas.last else {
            return values
        }
        let sigmaTo = last > modelSampling.sigmaMin ? last : modelSampling.sigmaMin
        let timestepFrom = modelSampling.timestep(sigma: first)
        let timestepTo = modelSampling.timestep(sigma: sigmaTo)
        let current = modelSampling.timestep(sigma: Float(sigma))
        let threshold = (current - timestepTo) / (timestepFrom - timestepTo)
        let binary = values.map { $0 >= threshold ? Float(1) : 0 }
        guard strength != 0 && strength < 1 else { return binary }
        let hard = Float(strength), soft = Float(1 - strength)
        return zip(binary, values).map { hard * $0 + soft * $1 }
    }
}

/// One sampler run over given sigmas, as ComfyUI's `KSAMPLER.sample` does it: the core of KSampler
/// and of SamplerCustomAdvanced (whose sigmas come from a scheduler node and whose noise from a
/// NOISE node). The model is reduced to its denoised prediction.
public struct SamplerRun: Sendable {
    public var modelSampling: any ModelSampling
    public var sampler: SamplerName
    /// Seeds the per-step noise of stochastic samplers and ddim's inpaint noise.
    public var seed: UInt64

    /// What a run produces: the new latent and the model's last denoised prediction
    /// (SamplerCustomAdvanced's `denoised_output`).
    public struct Output: Sendable {
        public var samples: [Float]
        public var lastDenoised: [Float]?
    }

    public init(modelSampling: any ModelSampling, sampler: SamplerName, seed: UInt64) {
        self.modelSampling = modelSampling
        self.sampler = sampler
        self.seed = seed
    }

    /// Samples from `sigmas.first` to `sigmas.last`, starting from `latent` noised with `noise`.
    /// Without sigmas the latent comes back unchanged (a single sigma still noises and un-scales it,
    /// as in ComfyUI).
    ///
    /// - Parameter mask: the latent's noise mask, expanded to one value per latent element.
    public func sample(
        latent: [Float], noise: [Float], sigmas: [Float], mask: DenoiseMask? = nil,
        model: @escaping Denoiser, onStep: (@Sendable (SamplingStep) async throws -> Void)? = nil
    ) async throws -> Output {
        guard noise.count == latent.count else {
            throw SamplingError.lengthMismatch(what: "the noise", expected: latent.count, actual: noise.count)
        }
        if let mask, mask.values.count != latent.count {
            throw SamplingError.lengthMismatch(what: "the noise mask", expected: latent.count, actual: mask.values.count)
        }
        guard !sigmas.isEmpty else { return Output(samples: latent, lastDenoised: nil) }

        let algorithm = sampler.sampler
        let stepSigmas = algorithm.effectiveSigmas(sigmas)
        let lastDenoised = DenoisedRecord()
        let reporting: @Sendable (SamplingStep) async throws -> Void = { step in
            await lastDenoised.set(step.denoised)
            try await onStep?(step)
        }
        var context = SamplingContext(
            model: masked(model, mask: mask, latent: latent, noise: inpaintNoise(default: noise), stepSigmas: stepSigmas),
            modelSampling: modelSampling,
            noiseSampler: sampler.noiseSampler(seed: seed, sigmas: sigmas, count: latent.count),
            onStep: reporting)
        let start = modelSampling.noiseScaling(
            sigma: sigmas[0], noise: noise, latent: latent, maxDenoise: modelSampling.startsFromPureNoise(sigmas[0]))
        let samples = try await algorithm.sample(start, sigmas: sigmas, context: &context)
        return Output(
            samples: modelSampling.inverseNoiseScaling(sigma: stepSigmas[stepSigmas.count - 1], latent: samples),
            lastDenoised: await lastDenoised.value)
    }

    private func inpaintNoise(default noise: [Float]) -> [Float] {
        guard sampler.drawsSeparateInpaintNoise else { return noise }
        var generator = TorchGenerator(seed: seed &+ 1)
        return generator.randn(count: noise.count)
    }

    /// ComfyUI's `KSamplerX0Inpaint` around the model.
    private func masked(
        _ model: @escaping Denoiser, mask: DenoiseMask?, latent: [Float], noise: [Float], stepSigmas: [Float]
    ) -> Denoiser {
        guard let mask else { return model }
        let modelSampling = modelSampling
        return { x, sigma in
            let weights = mask.effectiveMask(at: sigma, stepSigmas: stepSigmas, modelSampling: modelSampling)
            let kept = modelSampling.noiseScaling(sigma: Float(sigma), noise: noise, latent: latent)
            var input = x
            for i in input.indices { input[i] = x[i] * weights[i] + kept[i] * (1 - weights[i]) }
            var denoised = try await model(input, sigma)
            guard denoised.count == input.count else {
                throw SamplingError.lengthMismatch(what: "the model output", expected: input.count, actual: denoised.count)
            }
            for i in denoised.indices { denoised[i] = denoised[i] * weights[i] + latent[i] * (1 - weights[i]) }
            return denoised
        }
    }
}

/// The newest denoised prediction reported during a run.
private actor DenoisedRecord {
    private(set) var value: [Float]?
    func set(_ denoised: [Float]) { value = denoised }
}

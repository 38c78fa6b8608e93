/// One KSampler / KSamplerAdvanced run on a flow model, as ComfyUI's `common_ksampler` and
/// `KSAMPLER.sample` do it, with the model reduced to its denoised prediction (guidance, CFG and
/// the latent format's scale and shift are the caller's).
public struct KSampling: Sendable {
    public var modelSampling: any ModelSampling
    public var sampler: SamplerName
    public var scheduler: Scheduler
    public var steps: Int
    public var denoise: Double
    /// Seeds the initial noise, the per-step noise of stochastic samplers and ddim's inpaint noise.
    public var seed: UInt64
    /// KSamplerAdvanced `add_noise`: off, sampling starts from the latent as it is.
    public var addsNoise: Bool
    public var startStep: Int?
    /// KSamplerAdvanced `end_at_step`.
    public var lastStep: Int?
    /// When sampling stops early (`lastStep`), end at sigma 0 rather than keep the leftover noise
    /// (KSamplerAdvanced `return_with_leftover_noise` disabled; plain KSampler leaves it off).
    public var forcesFullDenoise: Bool

    /// The KSampler node.
    public init(
        modelSampling: any ModelSampling, sampler: SamplerName, scheduler: Scheduler, steps: Int,
        denoise: Double = 1, seed: UInt64
    ) {
        self.modelSampling = modelSampling
        self.sampler = sampler
        self.scheduler = scheduler
        self.steps = steps
        self.denoise = denoise
        self.seed = seed
        addsNoise = true
        forcesFullDenoise = false
    }

    /// The KSamplerAdvanced node.
    public init(
        modelSampling: any ModelSampling, sampler: SamplerName, scheduler: Scheduler, steps: Int, seed: UInt64,
        addsNoise: Bool, startStep: Int, endStep: Int, returnsWithLeftoverNoise: Bool
    ) {
        self.init(modelSampling: modelSampling, sampler: sampler, scheduler: scheduler, steps: steps, seed: seed)
        self.addsNoise = addsNoise
        self.startStep = startStep
        self.lastStep = endStep
        forcesFullDenoise = !returnsWithLeftoverNoise
    }

    /// The sigmas sampled over; nil when the start step is past the schedule (the latent is
    /// returned unchanged), empty when denoise is 0.
    public func sigmas() -> [Float]? {
        var sigmas = scheduler.sigmas(steps: steps, denoise: denoise, sampler: sampler, modelSampling: modelSampling)
        if let lastStep, lastStep < sigmas.count - 1 {
            sigmas = Array(sigmas.prefix(lastStep + 1))
            if forcesFullDenoise { sigmas[sigmas.count - 1] = 0 }
        }
        if let startStep {
            guard startStep < sigmas.count - 1 else { return nil }
            sigmas = Array(sigmas.dropFirst(startStep))
        }
        return sigmas
    }

    /// Samples `latent` (`batchSize` items, flattened) and returns the new latent.
    ///
    /// - Parameters:
    ///   - batchIndex: the latent's `batch_index`, which picks each item's initial noise.
    ///   - mask: the latent's noise mask, expanded to one value per latent element.
    public func sample(
        latent: [Float], batchSize: Int = 1, batchIndex: [Int]? = nil, mask: DenoiseMask? = nil,
        model: @escaping Denoiser, onStep: (@Sendable (SamplingStep) async throws -> Void)? = nil
    ) async throws -> [Float] {
        guard steps >= 1 else { throw SamplingError.invalidSteps(steps) }
        guard batchSize >= 1, latent.count % batchSize == 0 else {
            throw SamplingError.lengthMismatch(what: "the batch", expected: latent.count, actual: batchSize)
        }
        if let mask, mask.values.count != latent.count {
            throw SamplingError.lengthMismatch(what: "the noise mask", expected: latent.count, actual: mask.values.count)
        }
        guard let sigmas = sigmas(), let firstSigma = sigmas.first else { return latent }

        let noise = addsNoise
            ? try InitialNoise.prepare(seed: seed, batchSize: batchSize, itemCount: latent.count / batchSize,
                                       batchIndex: batchIndex)
            : [Float](repeating: 0, count: latent.count)
        let algorithm = sampler.sampler
        let stepSigmas = algorithm.effectiveSigmas(sigmas)
        var context = SamplingContext(
            model: masked(model, mask: mask, latent: latent, noise: inpaintNoise(default: noise), stepSigmas: stepSigmas),
            modelSampling: modelSampling,
            noiseSampler: sampler.noiseSampler(seed: seed, sigmas: sigmas, count: latent.count),
            onStep: onStep)
        let start = modelSampling.noiseScaling(sigma: firstSigma, noise: noise, latent: latent)
        let samples = try await algorithm.sample(start, sigmas: sigmas, context: &context)
        return modelSampling.inverseNoiseScaling(sigma: stepSigmas[stepSigmas.count - 1], latent: samples)
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

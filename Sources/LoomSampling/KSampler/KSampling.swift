/// What KSampler and KSamplerAdvanced add to a `SamplerRun`, as ComfyUI's `common_ksampler` does it:
/// the schedule cut to denoise and start/end steps, and the seed's initial noise.
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
    public func sigmas() throws(SamplingError) -> [Float]? {
        var sigmas = try scheduler.sigmas(steps: steps, denoise: denoise, sampler: sampler, modelSampling: modelSampling)
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

    /// The starting noise for `count` latent values in `batchSize` items: the seed's, per `batchIndex`
    /// (ComfyUI's `prepare_noise`), or zeros when `addsNoise` is off.
    public func initialNoise(count: Int, batchSize: Int, batchIndex: [Int]? = nil) throws -> [Float] {
        guard batchSize >= 1, count % batchSize == 0 else { throw SamplingError.invalidBatchSize(batchSize, latentCount: count) }
        guard addsNoise else { return [Float](repeating: 0, count: count) }
        return try InitialNoise.prepare(seed: seed, batchSize: batchSize, itemCount: count / batchSize, batchIndex: batchIndex)
    }
}

/// The model as a sampler sees it: the denoised prediction for state `x` at noise level `sigma`.
public typealias Denoiser = @Sendable (_ x: [Float], _ sigma: Double) async throws -> [Float]

/// What a sampler reports after each model evaluation of a step (ComfyUI's per-step callback).
public struct SamplingStep: Sendable {
    /// The step, counted from 0.
    public let index: Int
    /// The schedule's step count (sigmas − 1), which ComfyUI reports as the total even for the
    /// samplers that take a different number of steps (dpm_fast, dpm_adaptive).
    public let stepCount: Int
    public let sigma: Double
    /// The state the step started from.
    public let x: [Float]
    public let denoised: [Float]
}

/// Everything a sampler works with besides the state and the sigmas.
public struct SamplingContext: Sendable {
    public var model: Denoiser
    public var modelSampling: any ModelSampling
    public var noiseSampler: any NoiseSampler
    /// Called once per step; throwing from it (or cancelling the task) stops sampling.
    public var onStep: (@Sendable (SamplingStep) async throws -> Void)?

    public init(
        model: @escaping Denoiser, modelSampling: any ModelSampling, noiseSampler: any NoiseSampler,
        onStep: (@Sendable (SamplingStep) async throws -> Void)? = nil
    ) {
        self.model = model
        self.modelSampling = modelSampling
        self.noiseSampler = noiseSampler
        self.onStep = onStep
    }

    /// The model's prediction, checked for cancellation before and for its length after.
    public func denoise(_ x: [Float], sigma: Double) async throws -> [Float] {
        try Task.checkCancellation()
        let denoised = try await model(x, sigma)
        guard denoised.count == x.count else {
            throw SamplingError.lengthMismatch(what: "the model output", expected: x.count, actual: denoised.count)
        }
        return denoised
    }

    public func report(index: Int, of stepCount: Int, sigma: Double, x: [Float], denoised: [Float]) async throws {
        try await onStep?(SamplingStep(index: index, stepCount: stepCount, sigma: sigma, x: x, denoised: denoised))
    }

    public mutating func noise(from sigma: Double, to sigmaNext: Double) -> [Float] {
        noiseSampler.noise(from: sigma, to: sigmaNext)
    }
}

/// One of ComfyUI's samplers, integrating the state from `sigmas.first` down to `sigmas.last`, one
/// step per consecutive pair. Where ComfyUI branches on the model type, so do the samplers, on
/// `context.modelSampling.prediction`.
public protocol Sampler: Sendable {
    func sample(_ x: [Float], sigmas: [Float], context: inout SamplingContext) async throws -> [Float]

    /// The sigmas the sampler really integrates over, which the inpainting blend and the final
    /// un-scaling then also see. Only UniPC differs: ComfyUI replaces a final 0 by 0.001 in place.
    func effectiveSigmas(_ sigmas: [Float]) -> [Float]
}

extension Sampler {
    public func effectiveSigmas(_ sigmas: [Float]) -> [Float] { sigmas }
}

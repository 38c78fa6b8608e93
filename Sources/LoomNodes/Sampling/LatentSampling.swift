import LoomGraph
import LoomModels
import LoomSampling

/// One sampler run on a LATENT, shared by KSampler, KSamplerAdvanced and the custom-sampling nodes:
/// ComfyUI's `CFGGuider.sample` around LoomSampling's `SamplerRun`.
struct LatentSampling {
    var guider: Guider
    var sampler: SamplerName
    var sigmas: [Float]
    /// Seeds the per-step noise of stochastic samplers.
    var seed: UInt64

    struct Output {
        var samples: Latent
        var denoised: Latent
    }

    /// Samples `latent` starting from `noise` (one value per latent element, already drawn).
    func run(_ latent: Latent, noise: [Float], context: NodeContext) async throws -> Output {
        let model = guider.model
        let samples = try latent.samplesFitting(model.latentFormat)
        guard noise.count == samples.count else {
            throw NodeError("sampling", "the noise has \(noise.count) values for a latent of shape \(samples.shape)")
        }
        guard !sigmas.isEmpty else { return Output(samples: latent, denoised: latent) }
        let shape = samples.shape
        let preparedMask = try latent.noiseMask.map { try Self.prepareMask($0, shape: shape) }
        let denoiseMask = preparedMask.map {
            DenoiseMask(values: $0.values, differentialDiffusionStrength: model.differentialDiffusionStrength)
        }
        // ComfyUI leaves an all-zero (empty) latent unshifted rather than moving it into model space.
        let start = samples.values.allSatisfy { $0 == 0 } ? samples.values : model.latentFormat.processIn(samples.values)
        let guider = try guider.prepared(shape: shape, denoiseMask: preparedMask, latentImage: HostTensor(shape: shape, values: start))
        let run = SamplerRun(modelSampling: model.modelSampling, sampler: sampler, seed: seed)
        let output = try await run.sample(
            latent: start, noise: noise, sigmas: sigmas, mask: denoiseMask,
            model: { x, sigma in try await guider.denoised(x, sigma: sigma) },
            onStep: { step in
                // ComfyUI sends a step's progress before its preview: clients pair the picture with that step.
                try context.reportProgress(Double(step.index + 1), of: Double(step.stepCount))
                if context.previewMethod.showsPreviews,
                   let preview = model.latentFormat.preview(of: step.denoised, height: shape[2], width: shape[3]) {
                    context.reportPreview(preview)
                }
            })

        var result = latent
        result.samples = HostTensor(shape: shape, values: model.latentFormat.processOut(output.samples))
        var denoised = result
        if let last = output.lastDenoised {
            denoised.samples = HostTensor(shape: shape, values: model.latentFormat.processOut(last))
        }
        return Output(samples: result, denoised: denoised)
    }

    /// SamplerCustom(Advanced): the sampler, sigmas and latent from `inputs`, both latents out.
    static func custom(guider: Guider, noise: NoiseSource, seed: UInt64, inputs: NodeInputs,
                       context: NodeContext) async throws -> NodeResult {
        var latent = try inputs("latent_image", as: Latent.self)
        latent.samples = try latent.samplesFitting(guider.model.latentFormat)
        let sampling = LatentSampling(
            guider: guider, sampler: try inputs("sampler", as: SamplerSelection.self).name,
            sigmas: try inputs("sigmas", as: Sigmas.self).values, seed: seed)
        let output = try await sampling.run(latent, noise: try noise.noise(for: latent, count: latent.samples.count), context: context)
        return NodeResult([output.samples, output.denoised])
    }

    /// ComfyUI's `prepare_mask`: the noise mask resized (bilinear) to the latent, repeated over channels
    /// and batch.
    static func prepareMask(_ mask: HostTensor, shape: [Int]) throws -> HostTensor {
        guard mask.rank >= 2, mask.count > 0 else {
            throw NodeError("sampling", "the latent's noise mask has shape \(mask.shape); expected [batch, 1, height, width]")
        }
        let planes = HostTensor(shape: [mask.count / (mask.shape[mask.rank - 2] * mask.shape[mask.rank - 1]), 1,
                                        mask.shape[mask.rank - 2], mask.shape[mask.rank - 1]], values: mask.values)
            .resizedPlanes(height: shape[2], width: shape[3], method: .bilinear)
            .resizedToBatch(shape[0])
        return HostTensor.concatenatingChannels(Array(repeating: planes, count: shape[1]))
    }
}

extension Latent {
    /// The samples, or for an all-zero latent of another channel count (EmptyLatentImage fed to Flux)
    /// zeros of the model's channels, as ComfyUI's `fix_empty_latent_channels` does.
    func samplesFitting(_ format: LatentFormat) throws -> HostTensor {
        guard samples.rank == 4 else { throw NodeError("sampling", "a latent must be [batch, channels, height, width], not \(samples.shape)") }
        if channels == format.channels { return samples }
        guard samples.values.allSatisfy({ $0 == 0 }) else {
            throw NodeError("sampling", "the latent has \(channels) channels but the model works on \(format.channels); encode the image with the model's VAE")
        }
        return HostTensor(zeros: [batchSize, format.channels, height, width])
    }
}

import Synchronization
import LoomGraph
@testable import LoomModels
@testable import LoomNodes
import LoomSampling
import Testing

@Suite struct SamplingNodeTests {
    let context = NodeContext(nodeID: "3", promptID: "p", resources: Resources())
    let format = LatentFormat(channels: 2, scaleFactor: 0.5, shiftFactor: 0.25)

    func model(_ network: RecordingNetwork) -> DiffusionModel {
        DiffusionModel(family: .flux, network: network, modelSampling: FluxModelSampling(), latentFormat: format)
    }

    func conditioning(_ value: Float, guidance: Double? = nil) -> Conditioning {
        Conditioning([.init(crossAttention: HostTensor(shape: [1, 3, 4], values: .init(repeating: value, count: 12)),
                            pooledOutput: HostTensor(shape: [1, 2], values: [value, value]), guidance: guidance)])
    }

    func latent(_ values: [Float]) -> Latent {
        Latent(samples: HostTensor(shape: [1, 2, 2, 2], values: values))
    }

    @Test func kSamplerMatchesTheSamplerRunOnTheModelSpaceLatent() async throws {
        let network = RecordingNetwork()
        let input = latent([0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8])
        let values: [String: NodeValue] = [
            "model": model(network), "seed": 42, "steps": 4, "cfg": 1.0, "sampler_name": "euler",
            "scheduler": "simple", "positive": conditioning(0.2), "negative": conditioning(-1), "latent_image": input,
            "denoise": 1.0,
        ]
        let result = try await KSampler().execute(NodeInputs(values), context: context)
        let output = try #require(result.outputs[0] as? Latent)

        // The same run written directly against LoomSampling: latent format in, x − σ·v, format out.
        let sampling = KSampling(modelSampling: FluxModelSampling(), sampler: .euler, scheduler: .simple, steps: 4, seed: 42)
        let expected = try await Self.sample(sampling, latent: format.processIn(input.samples.values)) { x, sigma in
            x.map { $0 - Float(sigma) * ($0 * 0.5 + 0.2) }
        }
        let difference = zip(output.samples.values, format.processOut(expected)).map { abs($0 - $1) }.max()!
        #expect(difference < 1e-5)
        // cfg 1 skips the negative prompt: one call per euler step.
        #expect(network.inputs.count == 4)
        #expect(output.samples.shape == [1, 2, 2, 2])
    }

    /// The same schedule, noise and sampler as KSampler, written directly against LoomSampling.
    static func sample(_ sampling: KSampling, latent: [Float], model: @escaping Denoiser) async throws -> [Float] {
        try await SamplerRun(modelSampling: sampling.modelSampling, sampler: sampling.sampler, seed: sampling.seed)
            .sample(latent: latent, noise: sampling.initialNoise(count: latent.count, batchSize: 1),
                    sigmas: try #require(sampling.sigmas()), model: model).samples
    }

    @Test func cfgCombinesPositiveAndNegativePredictions() async throws {
        let network = RecordingNetwork(slope: 0)
        let guider = Guider(model: model(network), positive: conditioning(0.3), negative: conditioning(-0.1), cfg: 2.5)
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        let denoised = try await guider.denoised(x, sigma: 0.5, shape: [1, 2, 2, 2], denoiseMask: nil)
        // v is the context mean: cond −0.15, uncond +0.05, combined uncond + 2.5·(cond − uncond).
        let expected = x.map { $0 - 0.5 * (-0.1 + 2.5 * (0.3 - -0.1)) }
        #expect(zip(denoised, expected).allSatisfy { abs($0 - $1) < 1e-5 })
        // Both prompts in one evaluation of twice the batch, negative rows after positive ones.
        #expect(network.inputs.count == 1)
        #expect(network.inputs[0].x.shape == [2, 2, 2, 2])
        #expect(network.inputs[0].context.values == [Float](repeating: 0.3, count: 12) + [Float](repeating: -0.1, count: 12))
        #expect(network.inputs[0].vector?.shape == [2, 2])
    }

    @Test func promptsWithDifferentShapesAreEvaluatedApart() async throws {
        let network = RecordingNetwork(slope: 0)
        let longer = Conditioning([.init(crossAttention: HostTensor(shape: [1, 5, 4], values: .init(repeating: -0.1, count: 20)),
                                         pooledOutput: HostTensor(shape: [1, 2], values: [0, 0]))])
        let guider = Guider(model: model(network), positive: conditioning(0.3), negative: longer, cfg: 2.5)
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        let denoised = try await guider.denoised(x, sigma: 0.5, shape: [1, 2, 2, 2], denoiseMask: nil)
        let expected = x.map { $0 - 0.5 * (-0.1 + 2.5 * (0.3 - -0.1)) }
        #expect(zip(denoised, expected).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(network.inputs.map(\.context.shape) == [[1, 3, 4], [1, 5, 4]])
    }

    @Test func guidanceDefaultsToComfyUIsValueAndFollowsFluxGuidance() async throws {
        let network = RecordingNetwork(usesGuidance: true)
        let withDefault = Guider(model: model(network), positive: conditioning(0))
        _ = try await withDefault.denoised([Float](repeating: 0, count: 8), sigma: 1, shape: [1, 2, 2, 2], denoiseMask: nil)
        let guided = Guider(model: model(network), positive: conditioning(0, guidance: 30))
        _ = try await guided.denoised([Float](repeating: 0, count: 8), sigma: 1, shape: [1, 2, 2, 2], denoiseMask: nil)
        #expect(network.inputs.map(\.guidance) == [3.5, 30])
        #expect(network.inputs[0].timestep == 1)
    }

    @Test func theAttentionMaskReachesTheNetwork() async throws {
        let network = RecordingNetwork()
        var mask = JointAttentionMask(textTokens: 2)
        mask.appendTokens(1, bias: -0.5)
        let positive = conditioning(1).updatingEntries { $0.attentionMask = mask }
        let guider = Guider(model: model(network), positive: positive, negative: conditioning(0), cfg: 2)
        _ = try await guider.denoised([Float](repeating: 0, count: 8), sigma: 1, shape: [1, 2, 2, 2], denoiseMask: nil)
        #expect(network.inputs.map(\.attentionMask) == [mask, nil])
    }

    @Test func conditioningIsRepeatedToTheLatentBatch() async throws {
        let network = RecordingNetwork()
        let guider = Guider(model: model(network), positive: conditioning(1))
        _ = try await guider.denoised([Float](repeating: 0, count: 24), sigma: 1, shape: [3, 2, 2, 2], denoiseMask: nil)
        #expect(network.inputs[0].context.shape == [3, 3, 4])
        #expect(network.inputs[0].vector?.shape == [3, 2])
    }

    @Test func fillInputFoldsTheMaskIntoEightByEightBlocks() throws {
        // Pixel (y, x) of a 16×8 mask holds y·8 + x, so channel dy·8 + dx at latent cell (Y, X) must
        // hold (8Y + dy)·8 + dx.
        let mask = HostTensor(shape: [1, 1, 16, 8], values: (0..<128).map(Float.init))
        let folded = FluxFillInput.spaceToDepth(mask, block: 8)
        #expect(folded.shape == [1, 64, 2, 1])
        for dy in 0..<8 { for dx in 0..<8 { for row in 0..<2 {
            #expect(folded.values[(dy * 8 + dx) * 2 + row] == Float((8 * row + dy) * 8 + dx))
        } } }
    }

    @Test func fillInputWithoutAnImageUsesAZeroLatentThroughTheLatentFormat() throws {
        let fill = FluxFillInput(latentFormat: format, noiseShape: [2, 2, 1, 1])
        let concat = try fill.concatenation(image: nil, mask: nil, expectedChannels: 66)
        #expect(concat.shape == [2, 66, 1, 1])
        #expect(concat.values[0] == (0 - 0.25) * 0.5)
        // No mask means "repaint everything": ones in all 64 mask channels.
        #expect(concat.values[2..<66].allSatisfy { $0 == 1 })
        #expect(throws: ConditioningError.self) { try fill.concatenation(image: nil, mask: nil, expectedChannels: 80) }
    }

    @Test func emptyLatentsOfAnotherChannelCountAreWidenedOthersRejected() throws {
        let empty = Latent(samples: HostTensor(zeros: [1, 4, 2, 2]))
        #expect(try empty.samplesFitting(format).shape == [1, 2, 2, 2])
        let encoded = Latent(samples: HostTensor(shape: [1, 4, 1, 1], values: [1, 0, 0, 0]))
        #expect(throws: NodeError.self) { try encoded.samplesFitting(format) }
    }

    @Test func noiseMaskIsResizedBilinearlyAndRepeatedOverChannels() throws {
        let mask = HostTensor(shape: [1, 1, 2, 2], values: [0, 1, 1, 1])
        let prepared = try LatentSampling.prepareMask(mask, shape: [2, 3, 4, 4])
        #expect(prepared.shape == [2, 3, 4, 4])
        // PyTorch bilinear (align_corners False) upsampling 2×2 → 4×4: first row 0, 0.25, 0.75, 1.
        #expect(Array(prepared.values[0..<4]) == [0, 0.25, 0.75, 1])
        #expect(prepared.values[16..<32] == prepared.values[0..<16])
        #expect(throws: NodeError.self) { try LatentSampling.prepareMask(HostTensor(shape: [4], values: [1, 1, 1, 1]), shape: [1, 1, 2, 2]) }
    }

    @Test func unimplementedSamplersFailValidationByName() {
        let message = KSampler.validate(NodeInputs(["sampler_name": "dpmpp_sde_gpu"]), resources: Resources())
        #expect(message?.contains("dpmpp_sde_gpu") == true)
        #expect(message?.contains("does not implement") == true)
        #expect(KSampler.validate(NodeInputs(["sampler_name": "euler"]), resources: Resources()) == nil)
    }

    @Test func basicSchedulerKeepsTheTailOfALongerScheduleForPartialDenoise() async throws {
        let network = RecordingNetwork()
        let full = FluxModelSampling()
        let result = try await BasicScheduler().execute(
            NodeInputs(["model": model(network), "scheduler": "simple", "steps": 4, "denoise": 0.5]), context: context)
        let sigmas = try #require(result.outputs[0] as? Sigmas)
        #expect(sigmas.values == Array(Scheduler.simple.sigmas(steps: 8, modelSampling: full).suffix(5)))
        let none = try await BasicScheduler().execute(
            NodeInputs(["model": model(network), "scheduler": "simple", "steps": 4, "denoise": 0.0]), context: context)
        #expect((none.outputs[0] as? Sigmas)?.values == [])
    }

    @Test func samplerCustomAdvancedRunsAndReturnsTheDenoisedPrediction() async throws {
        let network = RecordingNetwork()
        let guider = Guider(model: model(network), positive: conditioning(0.2))
        let sigmas = Scheduler.beta.sigmas(steps: 3, modelSampling: FluxModelSampling())
        let values: [String: NodeValue] = [
            "noise": NoiseSource.random(seed: 7), "guider": guider, "sampler": SamplerSelection(.euler),
            "sigmas": Sigmas(sigmas), "latent_image": latent([Float](repeating: 0, count: 8)),
        ]
        let result = try await SamplerCustomAdvanced().execute(NodeInputs(values), context: context)
        let output = try #require(result.outputs[0] as? Latent)
        let denoised = try #require(result.outputs[1] as? Latent)
        // Euler's last step lands exactly on the last prediction.
        #expect(zip(output.samples.values, denoised.samples.values).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(network.inputs.count == 3)
    }

    @Test func progressIsReportedPerStepAndInterruptStopsSampling() async throws {
        let interruption = Interruption()
        let steps = Mutex<[Double]>([])
        let network = RecordingNetwork()
        let reporting = NodeContext(nodeID: "3", promptID: "p", resources: Resources(), interruption: interruption) { value, _ in
            steps.withLock { $0.append(value) }
            if value == 2 { interruption.request() }
        }
        let values: [String: NodeValue] = [
            "model": model(network), "seed": 1, "steps": 5, "cfg": 1.0, "sampler_name": "euler",
            "scheduler": "simple", "positive": conditioning(0), "negative": conditioning(0),
            "latent_image": latent([Float](repeating: 0, count: 8)), "denoise": 1.0,
        ]
        await #expect(throws: ExecutionInterrupted.self) { try await KSampler().execute(NodeInputs(values), context: reporting) }
        #expect(steps.withLock { $0 } == [1, 2])
        #expect(network.inputs.count == 3)
    }

    @Test func eachStepSendsAPreviewOfThePredictionThroughTheLatentFormatsColours() async throws {
        let previews = Mutex<[ProgressPreview]>([])
        let watching = NodeContext(nodeID: "3", promptID: "p", resources: Resources(), preview: { preview in
            previews.withLock { $0.append(preview) }
        })
        var coloured = format
        // A pixel of (1, −1): red 1, green 1, blue 0.5 in [−1, 1], so (255, 255, 191).
        coloured.rgbFactors = [[1, 0, 0.5], [0, -1, 0]]
        let network = RecordingNetwork()
        var sampled = model(network)
        sampled.latentFormat = coloured
        let values: [String: NodeValue] = [
            "model": sampled, "seed": 1, "steps": 2, "cfg": 1.0, "sampler_name": "euler", "scheduler": "simple",
            "positive": conditioning(0), "negative": conditioning(0),
            "latent_image": latent([Float](repeating: 0, count: 8)), "denoise": 1.0,
        ]
        _ = try await KSampler().execute(NodeInputs(values), context: watching)
        let shown = previews.withLock { $0 }
        #expect(shown.count == 2)
        #expect(shown.allSatisfy { $0.width == 2 && $0.height == 2 && $0.rgb.count == 12 })
        #expect(LatentFormat(channels: 2, scaleFactor: 1, shiftFactor: 0, rgbFactors: [[1, 0, 0.5], [0, -1, 0]])
            .preview(of: [1, 1, 1, 1, -1, -1, -1, -1], height: 2, width: 2)?.rgb.prefix(3) == [255, 255, 191])
        // A model that returns NaN or infinity (an extreme max_shift, NaN weights) still previews: NaN is black.
        #expect(LatentFormat(channels: 2, scaleFactor: 1, shiftFactor: 0, rgbFactors: [[1, 0, 0.5], [0, -1, 0]])
            .preview(of: [.nan, .infinity, -.infinity, 1, 1, 1, 1, 1], height: 2, width: 2)?.rgb.prefix(6) == [0, 0, 0, 255, 0, 255])
    }

    @Test func anEmptyLatentStartsUnshiftedAsInComfyUI() async throws {
        let network = RecordingNetwork()
        let values: [String: NodeValue] = [
            "model": model(network), "seed": 3, "steps": 3, "cfg": 1.0, "sampler_name": "euler",
            "scheduler": "simple", "positive": conditioning(0.1), "negative": conditioning(0),
            "latent_image": latent([Float](repeating: 0, count: 8)), "denoise": 0.5,
        ]
        let output = try #require(try await KSampler().execute(NodeInputs(values), context: context).outputs[0] as? Latent)
        let sampling = KSampling(modelSampling: FluxModelSampling(), sampler: .euler, scheduler: .simple, steps: 3,
                                 denoise: 0.5, seed: 3)
        // Partial denoise keeps part of the start latent: zeros, not zeros moved by the latent format.
        let expected = try await Self.sample(sampling, latent: [Float](repeating: 0, count: 8)) { x, sigma in
            x.map { $0 - Float(sigma) * ($0 * 0.5 + 0.1) }
        }
        #expect(zip(output.samples.values, format.processOut(expected)).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func setFirstSigmaReplacesOnlyTheFirst() async throws {
        #expect(SetFirstSigma.schema.inputs.map(\.name) == ["sigmas", "sigma"])
        guard case .float(let options) = SetFirstSigma.schema.inputs[1].kind else { Issue.record("sigma is not a FLOAT"); return }
        #expect(options.defaultValue == 136 && options.min == 0 && options.max == 20000)
        let context = NodeContext(nodeID: "1", promptID: "p", resources: Resources())
        let result = try await SetFirstSigma().execute(NodeInputs(["sigmas": Sigmas([14.6, 5, 0]), "sigma": 10000.0]), context: context)
        #expect(result.outputs[0] as? Sigmas == Sigmas([10000, 5, 0]))
        await #expect(throws: NodeError.self) {
            try await SetFirstSigma().execute(NodeInputs(["sigmas": Sigmas([]), "sigma": 1.0]), context: context)
        }
    }
}

import Foundation
import Testing
@testable import LoomSampling

/// KSampler behaviour not covered by the ComfyUI trajectories.
@Suite struct KSamplingTests {
    let latent: [Float] = (0..<32).map { Float($0) / 32 }

    func run(_ sampler: SamplerName = .euler, denoise: Double = 1) -> KSampling {
        KSampling(modelSampling: FluxModelSampling(), sampler: sampler, scheduler: .simple, steps: 4, denoise: denoise, seed: 3)
    }

    @Test func zeroDenoiseReturnsTheLatentWithoutCallingTheModel() async throws {
        let output = try await run(denoise: 0).sample(latent: latent, model: { _, _ in
            Issue.record("the model must not run")
            return []
        })
        #expect(output == latent)
    }

    @Test func startingPastTheScheduleReturnsTheLatent() async throws {
        let advanced = KSampling(
            modelSampling: FluxModelSampling(), sampler: .euler, scheduler: .simple, steps: 4, seed: 3,
            addsNoise: true, startStep: 4, endStep: 10000, returnsWithLeftoverNoise: false)
        #expect(try advanced.sigmas() == nil)
        let output = try await advanced.sample(latent: latent, model: { x, _ in x })
        #expect(output == latent)
    }

    @Test func leftoverNoiseKeepsTheLastSigmaUnlessForcedToZero() throws {
        func sigmas(leftover: Bool) throws -> [Float]? {
            try KSampling(modelSampling: FluxModelSampling(), sampler: .euler, scheduler: .simple, steps: 8, seed: 0,
                      addsNoise: true, startStep: 2, endStep: 5, returnsWithLeftoverNoise: leftover).sigmas()
        }
        let full = Scheduler.simple.sigmas(steps: 8, modelSampling: FluxModelSampling())
        #expect(try sigmas(leftover: true) == Array(full[2...5]))
        #expect(try sigmas(leftover: false) == Array(full[2...4]) + [0])
    }

    @Test func rejectsAMaskOfTheWrongSize() async {
        await #expect(throws: SamplingError.lengthMismatch(what: "the noise mask", expected: 32, actual: 3)) {
            try await run().sample(latent: latent, mask: DenoiseMask(values: [1, 0, 1]), model: { x, _ in x })
        }
    }

    @Test func rejectsABatchThatDoesNotDivideTheLatent() async {
        await #expect(throws: SamplingError.invalidBatchSize(3, latentCount: 32)) {
            try await run().sample(latent: latent, batchSize: 3, model: { x, _ in x })
        }
    }

    @Test func rejectsAModelOutputOfTheWrongSize() async {
        await #expect(throws: SamplingError.lengthMismatch(what: "the model output", expected: 32, actual: 1)) {
            try await run().sample(latent: latent, model: { _, _ in [0] })
        }
    }

    @Test func aThrowingCallbackStopsSampling() async {
        struct Interrupted: Error {}
        let steps = StepLog()
        await #expect(throws: Interrupted.self) {
            try await run(.dpmpp2M).sample(latent: latent, model: { x, _ in x }, onStep: { step in
                await steps.append(Double(step.index))
                if step.index == 1 { throw Interrupted() }
            })
        }
        #expect(await steps.values == [0, 1])
    }

    @Test func cancellingTheTaskStopsBeforeTheNextModelCall() async {
        let calls = CallCounter()
        await #expect(throws: CancellationError.self) {
            try await run(.heun).sample(latent: latent, model: { x, _ in
                await calls.increment()
                withUnsafeCurrentTask { $0?.cancel() }
                return x
            })
        }
        #expect(await calls.value == 1)
    }

    @Test func everyStepIsReportedOnceInOrder() async throws {
        for sampler in SamplerName.allCases {
            let steps = StepLog()
            _ = try await run(sampler).sample(latent: latent, model: analyticDenoiser(batchSize: 1), onStep: { step in
                #expect(step.stepCount == 4)
                await steps.append(Double(step.index))
            })
            let indices = await steps.values
            switch sampler {
            case .dpmFast: #expect(indices == [0, 1])  // 4 evaluations: a third- and a first-order step
            case .dpmAdaptive: #expect(indices == indices.indices.map(Double.init) && !indices.isEmpty)
            default: #expect(indices == [0, 1, 2, 3], "\(sampler.rawValue)")
            }
        }
    }

    @Test func perfectPredictionsLandOnTheLatentWithoutNoise() async throws {
        // A model that always predicts the clean latent: every deterministic sampler must end there.
        let clean = latent
        for sampler in [SamplerName.euler, .heun, .dpm2, .lms, .dpmpp2M, .ipndm, .resMultistep] {
            let output = try await run(sampler).sample(latent: latent, model: { _, _ in clean })
            let error = zip(output, clean).map { abs($0 - $1) }.max()!
            #expect(error < 1e-5, "\(sampler.rawValue): \(error)")
        }
    }

    @Test func uniPCStopsAtSigmaOneThousandthAsComfyUIDoes() async throws {
        // ComfyUI's UniPC ends at sigma 0.001 and divides by 1 − 0.001: the result keeps a
        // thousandth of the initial noise over 0.999 (to float32 λ's precision near 0.001).
        let clean = latent
        let output = try await run(.uniPC).sample(latent: latent, model: { _, _ in clean })
        let noise = try InitialNoise.prepare(seed: 3, batchSize: 1, itemCount: latent.count)
        #expect(noise.map { abs($0) }.max()! * 0.001 > 1e-3)
        for i in latent.indices {
            #expect(abs(output[i] - (clean[i] + noise[i] * 0.001 / 0.999)) < 1e-4)
        }
    }
}

@Suite struct SamplerRunTests {
    @Test func reportsTheLastDenoisedPrediction() async throws {
        let sampling = FluxModelSampling()
        let sigmas = Scheduler.simple.sigmas(steps: 3, modelSampling: sampling)
        let latent: [Float] = [0.5, -0.5, 0.25, 1]
        let noise = { var generator = TorchGenerator(seed: 9); return generator.randn(count: 4) }()
        let run = SamplerRun(modelSampling: sampling, sampler: .euler, seed: 9)
        let output = try await run.sample(latent: latent, noise: noise, sigmas: sigmas, model: { x, sigma in
            x.map { $0 * Float(sigma) }
        })
        // The last step starts at the last nonzero sigma, from which Euler lands on that prediction.
        #expect(output.lastDenoised == output.samples)
        #expect(output.samples != latent)
    }

    @Test func aSingleSigmaNoisesAndUnscalesTheLatent() async throws {
        let run = SamplerRun(modelSampling: FluxModelSampling(), sampler: .euler, seed: 1)
        let output = try await run.sample(latent: [1, 2], noise: [4, -4], sigmas: [0.5], model: { _, _ in
            Issue.record("no step, no model call")
            return []
        })
        #expect(output.samples == [5, -2])  // (0.5·noise + 0.5·latent) / 0.5
        #expect(output.lastDenoised == nil)
    }

    @Test func rejectsNoiseOfTheWrongSize() async {
        let run = SamplerRun(modelSampling: FluxModelSampling(), sampler: .euler, seed: 1)
        await #expect(throws: SamplingError.lengthMismatch(what: "the noise", expected: 2, actual: 1)) {
            try await run.sample(latent: [1, 2], noise: [0], sigmas: [1, 0], model: { x, _ in x })
        }
    }
}

@Suite struct SamplerNameTests {
    @Test func namesFollowComfyUI() throws {
        for sampler in SamplerName.allCases {
            #expect(SamplerName.comfyUINames.contains(sampler.rawValue))
            #expect(try SamplerName(named: sampler.rawValue) == sampler)
        }
        #expect(SamplerName.comfyUINames.count == 42)
    }

    @Test func comfyUISamplersLoomLacksAreNamedInTheError() {
        #expect(throws: SamplingError.unimplementedSampler("euler_cfg_pp")) { try SamplerName(named: "euler_cfg_pp") }
        #expect(throws: SamplingError.unknownSampler("eulerr")) { try SamplerName(named: "eulerr") }
        let message = SamplingError.unimplementedSampler("er_sde").description
        #expect(message.contains("er_sde") && message.contains("res_multistep"))
    }

    @Test func penultimateSigmaIsDroppedForMidpointSamplers() throws {
        let sampling = FluxModelSampling()
        let plain = Scheduler.simple.sigmas(steps: 5, modelSampling: sampling)
        let dropped = try Scheduler.simple.sigmas(steps: 4, denoise: 1, sampler: .dpm2, modelSampling: sampling)
        #expect(dropped == Array(plain.prefix(4)) + [0])
        #expect(try Scheduler.simple.sigmas(steps: 4, denoise: 1, sampler: .euler, modelSampling: sampling)
            == Scheduler.simple.sigmas(steps: 4, modelSampling: sampling))
    }

    @Test func basicSchedulerKeepsTheTailForPartialDenoise() throws {
        let sampling = FluxModelSampling()
        let full = Scheduler.beta.sigmas(steps: 10, modelSampling: sampling)
        #expect(try Scheduler.beta.sigmas(steps: 5, denoise: 0.5, modelSampling: sampling) == Array(full.suffix(6)))
        #expect(try Scheduler.beta.sigmas(steps: 5, denoise: 1, modelSampling: sampling)
            == Scheduler.beta.sigmas(steps: 5, modelSampling: sampling))
        #expect(try Scheduler.beta.sigmas(steps: 5, denoise: 0, modelSampling: sampling).isEmpty)
        // KSampler counts 0.99995 as a full denoise; BasicScheduler does not.
        #expect(try Scheduler.beta.sigmas(steps: 5, denoise: 0.99995, sampler: .euler, modelSampling: sampling).count == 6)
        // A denoise just above 0 would ask for an unbounded schedule (`int(steps / denoise)` overflows).
        for denoise in [5e-324, 1e-300, 1e-6] {
            #expect(throws: SamplingError.scheduleTooLong(steps: 10, denoise: denoise)) {
                try Scheduler.simple.sigmas(steps: 10, denoise: denoise, modelSampling: sampling)
            }
        }
    }
}

@Suite struct FlowModelSamplingTests {
    @Test func noiseScalingAndPredictionAreTheFlowMatchingOnes() {
        let sampling = FluxModelSampling()
        let x: [Float] = [1, -2, 0.5], velocity: [Float] = [0.25, 1, -1]
        #expect(sampling.denoised(x: x, output: velocity, sigma: 0.5) == [0.875, -2.5, 1])
        #expect(sampling.noiseScaling(sigma: 0.25, noise: [4, 0, -4], latent: [0, 4, 8]) == [1, 3, 5])
        #expect(sampling.inverseNoiseScaling(sigma: 0.5, latent: [1, -3]) == [2, -6])
    }

    @Test func fluxTimeShiftAndPercentToSigma() {
        let sampling = FluxModelSampling(shift: 1.15)
        #expect(sampling.timestep(sigma: 0.3) == 0.3)
        #expect(sampling.sigmaMax == 1)
        #expect(abs(Double(sampling.sigma(timestep: 0.5)) - exp(1.15) / (exp(1.15) + 1)) < 1e-7)
        #expect(sampling.percentToSigma(0) == 1 && sampling.percentToSigma(1) == 0)
        #expect(abs(sampling.percentToSigma(0.5) - exp(1.15) / (exp(1.15) + 1)) < 1e-15)
        #expect(DiscreteFlowModelSampling.schnell.percentToSigma(0.25) == 0.75)
        #expect(DiscreteFlowModelSampling.schnell.sigmas.count == 1000)
    }
}

import Foundation
import Testing
@testable import LoomSampling

/// Full KSampler runs against ComfyUI's own sampling code with the analytic model.
@Suite struct TrajectoryTests {
    static func cases() throws -> [[String: Any]] {
        try SamplingFixtures.load("trajectories.json").records("cases")
    }

    @Test(arguments: try! cases().map { $0.string("name") })
    func samplerReproducesComfyUI(named name: String) async throws {
        let record = try Self.cases().first { $0.string("name") == name }!
        let shape = record.ints("shape")
        let count = shape.reduce(1, *)
        let latent: [Float] = (record["latent"] as? String) == "zeros"
            ? [Float](repeating: 0, count: count)
            : (0..<count).map { Float(0.5 * cos(0.11 * Double($0))) }

        let modelSampling = SamplingFixtures.modelSampling(named: record.string("model_sampling"))
        let sampler = try SamplerName(named: record.string("sampler"))
        let scheduler = try Scheduler(named: record.string("scheduler"))
        let seed = UInt64(record.int("seed"))
        var run: KSampling
        if record["start_at_step"] != nil || record["end_at_step"] != nil {
            run = KSampling(
                modelSampling: modelSampling, sampler: sampler, scheduler: scheduler, steps: record.int("steps"),
                seed: seed, addsNoise: record["add_noise"] as? Bool ?? true,
                startStep: record["start_at_step"] as? Int ?? 0, endStep: record["end_at_step"] as? Int ?? 10000,
                returnsWithLeftoverNoise: !(record["force_full_denoise"] as? Bool ?? true))
        } else {
            run = KSampling(
                modelSampling: modelSampling, sampler: sampler, scheduler: scheduler, steps: record.int("steps"),
                denoise: record["denoise"] as? Double ?? 1, seed: seed)
        }
        // The fixture records the sigmas after sampling: UniPC rewrote a final 0 in place.
        #expect(sampler.sampler.effectiveSigmas(try #require(try run.sigmas())) == record.floats("sigmas"))

        let mask = (record["mask"] as? String).map { kind in
            DenoiseMask(values: Self.mask(kind, shape: shape),
                        differentialDiffusionStrength: record["differential_diffusion"] as? Double)
        }
        let calls = CallCounter()
        let model = analyticDenoiser(batchSize: shape[0])
        let sums = StepLog()
        let output = try await run.sample(
            latent: latent, batchSize: shape[0], batchIndex: record["batch_index"] == nil ? nil : record.ints("batch_index"),
            mask: mask,
            model: { x, sigma in
                await calls.increment()
                return try await model(x, sigma)
            },
            onStep: { step in await sums.append(step.denoised.reduce(0.0) { $0 + Double($1) }) })

        #expect(await calls.value == record.int("model_calls"))
        let expectedSums = record.doubles("denoised_sums")
        let loggedSums = await sums.values
        #expect(loggedSums.count == expectedSums.count)
        for (sum, expected) in zip(loggedSums, expectedSums) {
            #expect(abs(sum - expected) <= 1e-4 * max(1, abs(expected)), "denoised sums \(loggedSums) vs \(expectedSums)")
        }
        let expected = record.floats("output")
        try #require(output.count == expected.count)
        let worst = zip(output, expected).map { abs(Double($0) - Double($1)) / max(1, abs(Double($1))) }.max()!
        // Discrete (SD) schedules start near σ = 14.6, where the state is that much larger and float32
        // rounding of the same operations in another order grows with it.
        let stateScale = max(1, Double(record.floats("sigmas").first ?? 1))
        #expect(worst <= 1e-5 * stateScale, "largest deviation \(worst)")
    }

    /// The script's masks over an h×w latent: a ramp 0…1 in reading order, or that ramp ≥ 0.5.
    static func mask(_ kind: String, shape: [Int]) -> [Float] {
        let h = shape[2], w = shape[3]
        let ramp = (0..<(h * w)).map { Float(Double($0) / Double(h * w - 1)) }
        let plane = kind == "ramp" ? ramp : ramp.map { $0 >= 0.5 ? 1 : 0 }
        return Array((0..<(shape[0] * shape[1])).map { _ in plane }.joined())
    }
}

actor CallCounter {
    private(set) var value = 0
    func increment() { value += 1 }
}

actor StepLog {
    private(set) var values: [Double] = []
    func append(_ value: Double) { values.append(value) }
}

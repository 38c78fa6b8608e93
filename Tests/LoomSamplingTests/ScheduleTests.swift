import Foundation
import Testing
@testable import LoomSampling

@Suite struct ScheduleTests {
    let fixtures = try! SamplingFixtures.load("schedules.json")

    @Test func modelSamplingTablesMatchComfyUIBitForBit() {
        for record in fixtures.records("model_samplings") {
            let name = record.string("name")
            let sampling = SamplingFixtures.modelSampling(named: name)
            let table = sampling.sigmas
            #expect(table.count == record.int("count"), "\(name)")
            #expect(String(fnv1a(table)) == record.string("fnv1a"), "\(name) table")
            #expect(Array(table.prefix(8)) == record.floats("first"), "\(name)")
            #expect(Array(table.suffix(8)) == record.floats("last"), "\(name)")
            #expect(Array(table[(table.count / 2 - 4)..<(table.count / 2 + 4)]) == record.floats("middle"), "\(name)")
            for pair in record["percent_to_sigma"] as! [[Double]] {
                #expect(abs(sampling.percentToSigma(pair[0]) - pair[1]) <= 1e-15, "\(name) percent \(pair[0])")
            }
        }
    }

    @Test func fluxShiftFollowsTheImageSize() {
        let shifts = Dictionary(uniqueKeysWithValues: fixtures.records("model_samplings").map {
            ($0.string("name"), $0["shift"] as? Double)
        })
        #expect(FluxModelSampling(width: 1024, height: 1024).shift == shifts["flux_1024x1024"])
        #expect(FluxModelSampling(width: 512, height: 512).shift == shifts["flux_512x512"])
        #expect(abs(shifts["flux_512x512"]!! - 0.5 - (1.15 - 0.5) * (1024 - 256) / (4096 - 256)) < 1e-12)
    }

    @Test func everySchedulerMatchesComfyUI() throws {
        let records = fixtures.records("schedules")
        #expect(Set(records.map { $0.string("scheduler") }) == Set(Scheduler.allCases.map(\.rawValue)))
        var inexact: [String] = []
        for record in records {
            let scheduler = try Scheduler(named: record.string("scheduler"))
            let sampler = try SamplerName(named: record.string("sampler"))
            let sampling = SamplingFixtures.modelSampling(named: record.string("model_sampling"))
            let sigmas = try scheduler.sigmas(
                steps: record.int("steps"), denoise: record.double("denoise"), sampler: sampler, modelSampling: sampling)
            let expected = record.floats("sigmas")
            let label = "\(record.string("model_sampling")) \(scheduler.rawValue) \(sampler.rawValue) steps \(record.int("steps")) denoise \(record.double("denoise"))"
            try #require(sigmas.count == expected.count, "\(label): \(sigmas) vs \(expected)")
            for (value, reference) in zip(sigmas, expected) {
                if reference.isNaN {
                    #expect(value.isNaN, "\(label)")
                } else {
                    #expect(abs(value - reference) <= 1e-6 * abs(reference), "\(label): \(sigmas) vs \(expected)")
                }
            }
            // The float32 arithmetic is mirrored, so the sigmas are identical to the bit, except
            // where ComfyUI's tan (kl_optimal) and exp of 16 or more values (exponential) come from
            // PyTorch's vector math library: there they may be one unit in the last place apart.
            // The discrete models' sigma(timestep) is an exp over the whole tensor of timesteps too, and
            // karras a tensor pow (one value of the zero-terminal-SNR schedule lands one unit apart).
            let vectorExp = scheduler == .klOptimal || scheduler == .exponential
                || (sampling.prediction != .flow && [.normal, .sgmUniform, .karras].contains(scheduler))
            let tolerance: UInt32 = vectorExp ? 1 : 0
            let withinTolerance = zip(sigmas, expected).allSatisfy { value, reference in
                (value.isNaN && reference.isNaN) || value.sign == reference.sign
                    && max(value.bitPattern, reference.bitPattern) - min(value.bitPattern, reference.bitPattern) <= tolerance
            }
            if !withinTolerance {
                let ulps = zip(sigmas, expected).map { Int($0.bitPattern) - Int($1.bitPattern) }
                inexact.append(label + " ulps \(ulps)")
            }
        }
        #expect(inexact.isEmpty, "not bit-identical: \(inexact)")
    }

    @Test func inverseIncompleteBetaMatchesSciPy() {
        for entry in fixtures["beta_ppf"] as! [[Double]] {
            let (p, a, b, expected) = (entry[0], entry[1], entry[2], entry[3])
            let x = IncompleteBeta.inverse(p, a: a, b: b)
            #expect(abs(x - expected) <= 5e-15 * expected, "ppf(\(p); \(a), \(b)) = \(x), scipy \(expected)")
        }
    }

    @Test func unknownSchedulerIsNamed() {
        #expect(throws: SamplingError.unknownScheduler("cosine")) { try Scheduler(named: "cosine") }
    }
}

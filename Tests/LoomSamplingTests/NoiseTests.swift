import Foundation
import Testing
@testable import LoomSampling

@Suite struct NoiseTests {
    let fixtures = try! SamplingFixtures.load("randn.json")

    @Test func randnMatchesTorchBitForBit() throws {
        let cases = fixtures.records("randn")
        #expect(cases.count >= 40)
        for record in cases {
            let seed = UInt64(record.string("seed"))!
            var generator = TorchGenerator(seed: seed)
            let values = generator.randn(count: record.int("count"))
            let expected = record.floats("bits")
            let label = "seed \(seed) shape \(record.ints("shape"))"
            if values.count <= 1000 {
                #expect(values.map(\.bitPattern) == expected.map(\.bitPattern), "\(label)")
            } else {
                #expect(Array(values.prefix(64)).map(\.bitPattern) == expected.prefix(64).map(\.bitPattern), "\(label)")
                #expect(Array(values.suffix(64)).map(\.bitPattern) == expected.suffix(64).map(\.bitPattern), "\(label)")
            }
            #expect(String(fnv1a(values)) == record.string("fnv1a"), "\(label)")
        }
    }

    @Test func consecutiveDrawsShareTheGeneratorAndItsCachedNormal() {
        for record in fixtures.records("sequences") {
            var generator = TorchGenerator(seed: UInt64(record.string("seed"))!)
            let shapes = record["shapes"] as! [[Int]]
            let expected = (record["bits"] as! [[Int]]).map { $0.map { UInt32($0) } }
            for (shape, bits) in zip(shapes, expected) {
                let values = generator.randn(count: shape.reduce(1, *))
                #expect(values.map(\.bitPattern) == bits, "shape \(shape)")
            }
        }
    }

    @Test func prepareNoiseFollowsBatchIndex() throws {
        for record in fixtures.records("prepare_noise") {
            let shape = record.ints("shape")
            let batchIndex = record["batch_index"] is NSNull ? nil : record.ints("batch_index")
            let noise = try InitialNoise.prepare(
                seed: UInt64(record.int("seed")), batchSize: shape[0], itemCount: shape.dropFirst().reduce(1, *),
                batchIndex: batchIndex)
            #expect(noise.map(\.bitPattern) == record.floats("bits").map(\.bitPattern), "batch_index \(String(describing: batchIndex))")
        }
    }

    @Test func seedSequenceMatchesNumpy() {
        for record in fixtures.records("seed_sequences") {
            let sequence = SeedSequence(
                entropy: UInt64(record.string("entropy"))!, spawnKey: record.ints("spawn_key").map { UInt64($0) },
                poolSize: record.int("pool_size"))
            #expect(sequence.generateState(count: 4) == record.ints("state").map { UInt32($0) })
        }
    }

    @Test func brownianTreeNoiseMatchesComfyUIsTorchsdeTree() {
        for record in fixtures.records("brownian") {
            var sampler = BrownianTreeNoiseSampler(
                seed: UInt64(record.string("seed"))!, sigmaMin: Float(bitPattern: UInt32(record.int("sigma_min"))),
                sigmaMax: Float(bitPattern: UInt32(record.int("sigma_max"))), count: record.int("count"))
            for query in record["queries"] as! [[Any]] {
                let sigma = Float(bitPattern: UInt32((query[0] as! NSNumber).intValue))
                let sigmaNext = Float(bitPattern: UInt32((query[1] as! NSNumber).intValue))
                let expected = (query[2] as! [NSNumber]).map { Float(bitPattern: UInt32($0.intValue)) }
                let noise = sampler.noise(from: Double(sigma), to: Double(sigmaNext))
                // The tree's increments are bit-exact; the normalisation divides by a float32 square
                // root, which PyTorch's vector library does not always round correctly.
                #expect(noise.count == 20)
                let ulps = zip(noise, expected).map { max($0.bitPattern, $1.bitPattern) - min($0.bitPattern, $1.bitPattern) }
                #expect(ulps.max()! <= 2, "seed \(record.string("seed")) \(sigma) → \(sigmaNext): \(noise) vs \(expected)")
            }
        }
    }

    @Test func roundsTimesLikePython() {
        #expect(BrownianTree.rounded(0.0291) == 0.0291)
        #expect(BrownianTree.rounded(0.12345650000000001) == 0.123457)
        #expect(BrownianTree.rounded(0.5000005) == 0.5)  // the double lies just below the tie
        #expect(BrownianTree.rounded(0.0000004) == 0)
    }

    @Test func rejectsABatchIndexPerItemMismatch() {
        #expect(throws: SamplingError.invalidBatchIndex([0], batchSize: 2)) {
            try InitialNoise.prepare(seed: 1, batchSize: 2, itemCount: 4, batchIndex: [0])
        }
    }

    @Test func seededNoiseSamplerRestartsTheSeedsStream() {
        var sampler = SeededNoiseSampler(seed: 42, count: 20)
        var generator = TorchGenerator(seed: 42)
        let first = sampler.noise(from: 1, to: 0.5), second = sampler.noise(from: 0.5, to: 0.2)
        #expect(first == generator.randn(count: 20))
        #expect(second == generator.randn(count: 20))
        #expect(first != second)
    }
}

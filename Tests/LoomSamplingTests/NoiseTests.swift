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

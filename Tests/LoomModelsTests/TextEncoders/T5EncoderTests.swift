import Foundation
import LoomModelFiles
@testable import LoomModels
import LoomText
import LoomVulkan
import Testing

@Suite struct T5EncoderTests {
    static let variants: [(file: String, golden: String, weightType: DType)] = [
        ("t5-small-bf16.safetensors", "t5.bf16", .bf16),
        ("t5-small-f16.safetensors", "t5.f16", .f16),
        ("t5-small-fp8-e4m3fn.safetensors", "t5.fp8_e4m3fn", .f8E4M3),
        ("t5-small-fp8-e4m3fn-scaled.safetensors", "t5.fp8_e4m3fn_scaled", .f8E4M3),
    ]

    @Test(arguments: 0..<4) func encoderMatchesTransformers(variant: Int) throws {
        let (file, golden, weightType) = Self.variants[variant]
        let encoder = try T5Encoder(weights: TextEncoderGolden.weights(file))
        #expect(encoder.parameters.modelDimension == 32)
        #expect(encoder.parameters.headCount == 4)
        #expect(encoder.blocks[1].gate.weight.dtype == weightType)
        // The embedding table is gathered from its stored dtype (bf16, or f16 in the f16 file), never widened.
        #expect(encoder.embedding.dtype == (weightType == .f16 ? .f16 : .bf16))
        let output = try encoder.encode([TextEncoderGolden.ids("t5.sequence")])
        #expect(output.shape == [1, 64, 32])
        let error = nmse(TextEncoderGolden.values(golden), output.values)
        #expect(error <= encoderThreshold, "\(file): NMSE \(error)")
    }

    /// A full-size T5-XXL must take its file size on the device: every matrix stays in its stored bytes.
    @Test(arguments: 0..<4) func matricesTakeTheirFileBytesOnTheDevice(variant: Int) throws {
        let weights = try TextEncoderGolden.weights(Self.variants[variant].file)
        let encoder = try T5Encoder(weights: weights)
        let matrices = [encoder.embedding] + encoder.blocks.flatMap { block in
            [block.query, block.key, block.value, block.output, block.gate, block.down] + (block.up.map { [$0] } ?? [])
        }.map(\.weight)
        let deviceBytes = matrices.reduce(0) { $0 + $1.dtype.byteCount(elements: $1.count) }
        let fileBytes = weights.file.tensors.filter { $0.shape.count == 2 && !$0.name.contains("relative_attention_bias") }
            .reduce(0) { $0 + $1.byteCount }
        #expect(deviceBytes == fileBytes)
    }

    /// ComfyUI's `nan_to_num` for fp8 T5: NaN bytes in an fp8 embedding table act as zeros.
    @Test func fp8EmbeddingNaNsReadAsZero() throws {
        let source = try ModelFile.open(path: TextEncoderGolden.directory.appendingPathComponent("t5-small-fp8-e4m3fn.safetensors").path)
        var entries = SafetensorsWriting.entries(of: source)
        let index = try #require(entries.firstIndex { $0.name == "shared.weight" })
        var table = DType.f8E4M3.encode(source["shared.weight"]!.floats())
        var zeroed = table
        for position in [3, 40, 41, 1000] {
            table[position] = position % 2 == 0 ? 0x7F : 0xFF
            zeroed[position] = 0
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-t5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func encode(_ bytes: [UInt8], _ name: String) throws -> [Float] {
            entries[index] = SafetensorsWriting.Entry(name: "shared.weight", dataType: .float8E4M3, shape: entries[index].shape, bytes: bytes)
            let url = directory.appendingPathComponent(name)
            try SafetensorsWriting.write(entries, to: url)
            let encoder = try T5Encoder(weights: ModelWeights(file: ModelFile.open(path: url.path), context: ComputeDevice.processDefault.context()))
            #expect(encoder.embedding.dtype == .f8E4M3)
            return try encoder.encode([[0, 1, 2, 3, 4, 31, 32, 33]]).values
        }
        let withNaNs = try encode(table, "nan.safetensors")
        #expect(withNaNs.allSatisfy { $0.isFinite })
        #expect(withNaNs == (try encode(zeroed, "zero.safetensors")))
    }

    /// A relative-position table with too few buckets is refused at load; the bucket formula itself stays in range.
    @Test func tooFewRelativeBucketsAreRefused() throws {
        let source = try ModelFile.open(path: TextEncoderGolden.directory.appendingPathComponent("t5-small-bf16.safetensors").path)
        var entries = SafetensorsWriting.entries(of: source)
        let name = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"
        let index = try #require(entries.firstIndex { $0.name == name })
        let heads = entries[index].shape[1]
        entries[index].shape = [1, heads]
        entries[index].bytes = Array(entries[index].bytes.prefix(heads * 2))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-t5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("one-bucket.safetensors")
        try SafetensorsWriting.write(entries, to: url)
        let error = #expect(throws: ModelLoadingError.self) {
            try T5Encoder(weights: ModelWeights(file: ModelFile.open(path: url.path), context: ComputeDevice.processDefault.context()))
        }
        #expect(error?.description.contains("1 buckets") == true)
        for count in 4...40 {
            for position in -600...600 {
                #expect((0..<count).contains(T5Encoder.bucket(relativePosition: position, bucketCount: count)))
            }
        }
    }

    @Test func scaledFP8AppliesItsScales() throws {
        let encoder = try T5Encoder(weights: TextEncoderGolden.weights("t5-small-fp8-e4m3fn-scaled.safetensors"))
        #expect(encoder.blocks[0].query.weightScale != 1)
    }

    @Test func weightingInterpolatesFromTheEmptyPrompt() throws {
        let encoder = try T5Encoder(weights: TextEncoderGolden.weights("t5-small-bf16.safetensors"))
        let ids = TextEncoderGolden.ids("t5.sequence")
        let weights = TextEncoderGolden.values("t5.weights").map(Double.init)
        let windows = try WeightedWindows([zip(ids, weights).map { WeightedToken(.id($0), weight: $1) }])
        let batch = windows.batch { [T5Tokenizer.endToken] + Array(repeating: T5Tokenizer.padToken, count: $0 - 1) }
        #expect(batch.last == [1] + Array(repeating: 0, count: 63))
        let combined = windows.combine(try encoder.encode(batch))
        #expect(combined.shape == [1, 64, 32])
        #expect(nmse(TextEncoderGolden.values("t5.bf16.weighted"), combined.values) <= encoderThreshold)
    }

    @Test func unweightedWindowsSkipTheEmptyPrompt() throws {
        let windows = try WeightedWindows([[WeightedToken(.id(5)), WeightedToken(.id(1))]])
        #expect(!windows.isWeighted)
        #expect(windows.batch { _ in [] } == [[5, 1]])
    }

    /// Buckets as transformers' `_relative_position_bucket` computes them (32 buckets, max distance 128).
    @Test func relativePositionBuckets() {
        let expected: [Int: Int] = [
            0: 0, 1: 17, -1: 1, 7: 23, -7: 7, 8: 24, -8: 8, 11: 24, 12: 25, 15: 25, 16: 26, 23: 27, 32: 28,
            45: 28, 46: 29, 64: 30, 90: 30, 91: 31, 127: 31, 128: 31, 500: 31, -500: 15, -16: 10,
        ]
        for (position, bucket) in expected {
            #expect(T5Encoder.bucket(relativePosition: position, bucketCount: 32) == bucket, "relative position \(position)")
        }
    }

    @Test func idsOutsideTheVocabularyAreRejected() throws {
        let encoder = try T5Encoder(weights: TextEncoderGolden.weights("t5-small-bf16.safetensors"))
        let error = #expect(throws: TextEncoderError.self) { try encoder.encode([[5, 128]]) }
        #expect(error?.description.contains("128") == true)
    }
}

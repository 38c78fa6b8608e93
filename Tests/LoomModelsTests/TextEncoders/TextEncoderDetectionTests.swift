@testable import LoomModelFiles
import Testing

/// The golden text-encoder files have the real key layouts, so detection reports their sizes.
@Suite struct TextEncoderDetectionTests {
    static func architecture(_ name: String) throws -> ModelArchitecture? {
        let file = try ModelFile.open(path: TextEncoderGolden.directory.appendingPathComponent(name).path)
        let found = ArchitectureDetector.detect(file)
        #expect(found.count == 1, "\(name): \(found)")
        #expect(found.first?.prefix == "")
        return found.first?.architecture
    }

    @Test func clipFilesAreCLIPText() throws {
        guard case .clipText(let small)? = try Self.architecture("clip-l-small-f16.safetensors") else {
            Issue.record("clip-l-small-f16 is not CLIP text")
            return
        }
        #expect(small == CLIPTextParameters(width: 32, layerCount: 3, mlpHiddenSize: 64, vocabularySize: 1000, maximumPositions: 77, hasProjection: true))
        guard case .clipText(let vocab)? = try Self.architecture("clip-l-vocab-f16.safetensors") else {
            Issue.record("clip-l-vocab-f16 is not CLIP text")
            return
        }
        #expect(vocab.vocabularySize == 49408 && vocab.width == 8 && vocab.layerCount == 2)
    }

    @Test(arguments: ["t5-small-bf16.safetensors", "t5-small-f16.safetensors", "t5-small-fp8-e4m3fn.safetensors", "t5-small-fp8-e4m3fn-scaled.safetensors"])
    func t5FilesAreT5Encoders(name: String) throws {
        guard case .t5Encoder(let parameters)? = try Self.architecture(name) else {
            Issue.record("\(name) is not a T5 encoder")
            return
        }
        #expect(parameters == T5EncoderParameters(
            modelDimension: 32, layerCount: 2, headCount: 4, headDimension: 8, feedForwardSize: 64, isGated: true,
            relativeAttentionBuckets: 32, vocabularySize: 128))
    }
}

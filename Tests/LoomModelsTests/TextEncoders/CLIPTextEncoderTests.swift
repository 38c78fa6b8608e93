import LoomModelFiles
@testable import LoomModels
import LoomText
import LoomVulkan
import Testing

@Suite struct CLIPTextEncoderTests {
    let encoder: CLIPTextEncoder

    init() throws {
        encoder = try CLIPTextEncoder(weights: TextEncoderGolden.weights("clip-l-small-f16.safetensors"), headDimension: 16)
    }

    @Test func sizesComeFromTheFile() {
        #expect(encoder.parameters.width == 32)
        #expect(encoder.parameters.layerCount == 3)
        #expect(encoder.headCount == 2)
        #expect(encoder.endToken == 999)
        #expect(encoder.startToken == 998)
    }

    @Test func weightsKeepTheirStoredDType() {
        #expect(encoder.tokenEmbedding.dtype == .f16)
        #expect(encoder.layers[0].up.weight.dtype == .f16)
    }

    @Test func lastLayerAndPooledMatchTransformers() throws {
        let (hidden, pooled) = try encoder.encode([TextEncoderGolden.ids("clip.window")])
        #expect(hidden.shape == [1, 77, 32])
        #expect(pooled.shape == [1, 32])
        #expect(nmse(TextEncoderGolden.values("clip.last"), hidden.values) <= encoderThreshold)
        #expect(nmse(TextEncoderGolden.values("clip.pooled"), pooled.values) <= encoderThreshold)
    }

    @Test func projectedPoolingUsesTheTextProjection() throws {
        let (_, pooled) = try encoder.encode([TextEncoderGolden.ids("clip.window")], projected: true)
        #expect(nmse(TextEncoderGolden.values("clip.projected"), pooled.values) <= encoderThreshold)
        #expect(nmse(TextEncoderGolden.values("clip.pooled"), pooled.values) > 0.01)
    }

    @Test func penultimateLayerHasTheFinalNorm() throws {
        let (hidden, pooled) = try encoder.encode([TextEncoderGolden.ids("clip.window")], layer: .hidden(-2))
        #expect(nmse(TextEncoderGolden.values("clip.penultimate"), hidden.values) <= encoderThreshold)
        // The pooled output always comes from the last layer.
        #expect(nmse(TextEncoderGolden.values("clip.pooled"), pooled.values) <= encoderThreshold)
        // −1 selects the last block's output, which is the last layer; beyond the depth means last too.
        let last = TextEncoderGolden.values("clip.last")
        #expect(nmse(last, try encoder.encode([TextEncoderGolden.ids("clip.window")], layer: .hidden(-1)).hidden.values) <= encoderThreshold)
        #expect(nmse(last, try encoder.encode([TextEncoderGolden.ids("clip.window")], layer: .hidden(-24)).hidden.values) <= encoderThreshold)
    }

    @Test func shortWindowPoolsAtItsEndToken() throws {
        let (hidden, pooled) = try encoder.encode([TextEncoderGolden.ids("clip.short")])
        #expect(hidden.shape == [1, 7, 32])
        #expect(nmse(TextEncoderGolden.values("clip.short.last"), hidden.values) <= encoderThreshold)
        #expect(nmse(TextEncoderGolden.values("clip.short.pooled"), pooled.values) <= encoderThreshold)
    }

    @Test func batchedWindowsEncodeIndependently() throws {
        let window = TextEncoderGolden.ids("clip.window")
        let (hidden, pooled) = try encoder.encode([window, window])
        let single = TextEncoderGolden.values("clip.last")
        #expect(nmse(single + single, hidden.values) <= encoderThreshold)
        #expect(nmse(TextEncoderGolden.values("clip.pooled") + TextEncoderGolden.values("clip.pooled"), pooled.values) <= encoderThreshold)
    }

    @Test func weightingInterpolatesFromTheEmptyPrompt() throws {
        let ids = TextEncoderGolden.ids("clip.window")
        let weights = TextEncoderGolden.values("clip.weights").map(Double.init)
        let windows = try WeightedWindows([zip(ids, weights).map { WeightedToken(.id($0), weight: $1) }])
        #expect(windows.isWeighted)
        let batch = windows.batch { [encoder.startToken] + Array(repeating: encoder.endToken, count: $0 - 1) }
        #expect(batch.count == 2)
        let combined = windows.combine(try encoder.encode(batch).hidden)
        #expect(combined.shape == [1, 77, 32])
        #expect(nmse(TextEncoderGolden.values("clip.weighted"), combined.values) <= encoderThreshold)
    }

    @Test func rejectsWindowsLongerThanThePositionTable() throws {
        #expect(throws: TextEncoderError.self) { try encoder.encode([Array(repeating: 1, count: 78)]) }
        #expect(throws: TextEncoderError.self) { try encoder.encode([[1, 2], [1]]) }
        #expect(throws: TextEncoderError.invalidTokens("token id 1000 is outside the CLIP vocabulary of 1000")) { try encoder.encode([[998, 1000]]) }
        #expect(throws: TextEncoderError.unknownLayer(3, layerCount: 3)) { try encoder.encode([[998, 999]], layer: .hidden(3)) }
    }

    @Test func otherModelsAreRejectedWithTheFileName() throws {
        let error = #expect(throws: ModelLoadingError.self) { try CLIPTextEncoder(weights: TextEncoderGolden.weights("t5-small-bf16.safetensors")) }
        #expect(error?.description.contains("t5-small-bf16.safetensors") == true)
    }
}

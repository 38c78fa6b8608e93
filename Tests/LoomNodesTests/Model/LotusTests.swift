import Foundation
import LoomGraph
import LoomModelFiles
import LoomModels
import LoomNodes
import LoomSampling
import Testing

/// The pieces of the depth template's Lotus subgraph: the Lotus-D family (detection, image-to-image prediction, the
/// task vector) and LotusConditioning's fixed prompt.
struct LotusTests {
    static func unet(adm: Int?) -> ModelArchitecture {
        .unet(UNetParameters(inChannels: 4, outChannels: 4, modelChannels: 64, channelMultipliers: [1], resBlockCounts: [1],
                             inputTransformerDepths: [1], outputTransformerDepths: [1, 1], middleBlock: .transformer(depth: 1),
                             contextDimension: 1024, usesLinearProjection: true, admInChannels: adm, attentionHeads: .channels(64)))
    }

    @Test func aUNetWithAFourWideClassVectorIsLotusNotSDXL() {
        #expect(ModelFamily.all.filter { $0.recognises(Self.unet(adm: 4)) }.map(\.name) == ["Lotus"])
        #expect(!ModelFamily.lotus.recognises(Self.unet(adm: 2816)))
    }

    @Test func imageToImagePredictsTheCleanLatentFromTheUnscaledState() {
        let x: [Float] = [0.5, -1, 2]
        #expect(PredictionType.imageToImage.networkInput(x, sigma: 14.6) == x)
        #expect(PredictionType.imageToImage.denoised(x: x, output: [1, 2, 3], sigma: 14.6) == [1, 2, 3])
        // DisableNoise: the state starts as the latent itself.
        #expect(PredictionType.imageToImage.noiseScaling(sigma: 10000, noise: [0, 0, 0], latent: x) == x)
    }

    @Test func theTaskVectorIsTheDepthTasksEmbedding() throws {
        let inputs = ConditioningInputs(context: HostTensor(shape: [2, 2, 1024], values: .init(repeating: 0, count: 4096)),
                                        noiseShape: [2, 4, 8, 8])
        let vector = try #require(try ModelFamily.lotus.conditioning(inputs, LotusTestNetwork()).vector)
        #expect(vector.shape == [2, 4])
        #expect(Array(vector.values.prefix(4)) == [sinf(1), 0, cosf(1), 1])
    }

    @Test func lotusConditioningIsComfyUIsFixedPrompt() async throws {
        #expect(LotusConditioning.schema.inputs.isEmpty && LotusConditioning.schema.outputs.map(\.name) == ["conditioning"])
        let result = try await LotusConditioning().execute(NodeInputs([:]), context: NodeContext(nodeID: "1", promptID: "p", resources: Resources()))
        let embedding = try #require((result.outputs[0] as? Conditioning)?.entries.first?.crossAttention)
        #expect(embedding.shape == [1, 2, 1024])
        // ComfyUI's first values and its largest one (13.0234375, in the first token).
        #expect(Array(embedding.values.prefix(3)) == [-0.3134765625, -0.447509765625, -0.00823974609375])
        #expect(embedding.values.prefix(1024).max() == 13.0234375)
    }
}

/// A network stand-in: the Lotus conditioning reads nothing from it.
private struct LotusTestNetwork: DiffusionNetwork {
    var latentChannels: Int { 4 }
    var concatChannels: Int { 0 }
    var usesGuidance: Bool { false }
    func prediction(for input: DiffusionInput) async throws -> HostTensor { input.x }
}

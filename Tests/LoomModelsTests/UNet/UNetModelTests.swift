import Foundation
import LoomModelFiles
@testable import LoomModels
import LoomVulkan
import Testing

@Suite struct UNetModelTests {
    static let tolerance = 5e-4
    static let sd15 = "unet-sd15-tiny-f16.safetensors"
    static let sdxlInpaint = "unet-sdxl-inpaint-tiny-bf16.safetensors"

    private func network(_ file: String) throws -> UNetModel {
        try UNetModel(file: UNetGolden.open(file), context: ComputeDevice.processDefault.context())
    }

    @discardableResult
    private func expectGolden(_ name: String) async throws -> Double {
        let golden = try UNetGolden()
        let c = try golden.testCase(name)
        let output = try await network(c.model).prediction(for: golden.input(c))
        let expected = try golden.array(c.output)
        #expect(output.shape == expected.shape)
        let error = nmse(expected.values, output.values)
        #expect(error <= Self.tolerance, "\(name): NMSE \(error)")
        return error
    }

    /// Every block's output against ComfyUI's, so a failure names the first block that differs.
    private func expectTrace(_ name: String) throws {
        let golden = try UNetGolden()
        let c = try golden.testCase(name)
        let unet = try network(c.model)
        var checked: Set<String> = []
        _ = try unet.evaluate(golden.input(c)) { block, tensor in
            guard let expected = try c.trace?[block].map({ try golden.array($0) }) else { return }
            let actual = try unet.context.download(tensor)
            let error = nmse(expected.values, actual)
            #expect(error <= Self.tolerance, "\(name) \(block): NMSE \(error)")
            checked.insert(block)
        }
        #expect(checked == Set(c.trace?.keys.map { $0 } ?? []))
    }

    @Test func sd15EveryBlockMatchesComfyUI() throws { try expectTrace("sd15") }

    @Test func sd15Prediction() async throws { try await expectGolden("sd15") }

    @Test func oddLatentTakesTheSkipSizeWhenUpsampling() async throws { try await expectGolden("sd15-odd") }

    @Test func batchOfTwoWithDifferentContexts() async throws { try await expectGolden("sd15-batch2") }

    @Test func sdxlInpaintEveryBlockMatchesComfyUI() throws { try expectTrace("sdxl") }

    @Test func sdxlInpaintPrediction() async throws { try await expectGolden("sdxl") }

    @Test func sdxlOddBatchOfTwo() async throws { try await expectGolden("sdxl-odd-batch2") }

    @Test func weightsStayInTheirStoredType() throws {
        let sd15 = try network(Self.sd15)
        #expect(sd15.timeEmbedding.first.weight.dtype == .f16)
        guard case .resBlock(let block) = sd15.inputBlocks[0].layers[0] else { Issue.record("input_blocks.1.0 is not a res block"); return }
        #expect(block.conv1.weight.dtype == .f16)
        let sdxl = try network(Self.sdxlInpaint)
        guard case .transformer(let transformer) = sdxl.middleBlock?.layers[1] else { Issue.record("middle_block.1 is not a transformer"); return }
        #expect(transformer.blocks[0].feedForward.projection.weight.dtype == .bf16)
        #expect(sdxl.labelEmbedding?.first.weight.dtype == .bf16)
    }

    @Test func channelsFollowTheFile() throws {
        let sd15 = try network(Self.sd15)
        #expect((sd15.latentChannels, sd15.concatChannels, sd15.usesGuidance) == (4, 0, false))
        let inpaint = try network(Self.sdxlInpaint)
        #expect((inpaint.latentChannels, inpaint.concatChannels) == (4, 5))
    }

    @Test func wrongInputsAreNamed() async throws {
        let golden = try UNetGolden()
        let sd15 = try network(Self.sd15)
        var input = try golden.input(golden.testCase("sd15"))
        input.context = HostTensor(zeros: [1, 7, 16])
        await #expect(throws: DiffusionInputError(model: "UNet", input: "context", expected: "[1, tokens, 40]", found: [1, 7, 16])) {
            try await sd15.prediction(for: input)
        }
        let inpaint = try network(Self.sdxlInpaint)
        var missingVector = try golden.input(golden.testCase("sdxl"))
        missingVector.vector = nil
        await #expect(throws: DiffusionInputError(model: "UNet", input: "vector", expected: "[1, 40]", found: [])) {
            try await inpaint.prediction(for: missingVector)
        }
        var missingConcat = try golden.input(golden.testCase("sdxl"))
        missingConcat.concat = nil
        await #expect(throws: DiffusionInputError(model: "UNet", input: "concat", expected: "[1, 5, 8, 8]", found: [])) {
            try await inpaint.prediction(for: missingConcat)
        }
        var wrongBatch = try golden.input(golden.testCase("sd15-batch2"))
        wrongBatch.context = HostTensor(zeros: [3, 5, 40])
        await #expect(throws: DiffusionInputError.self) { try await sd15.prediction(for: wrongBatch) }
    }

    @Test func conditioningWithOneRowServesTheWholeBatch() async throws {
        let golden = try UNetGolden()
        let sd15 = try network(Self.sd15)
        let single = try golden.input(golden.testCase("sd15"))
        var doubled = single
        doubled.x = HostTensor(shape: [2] + single.x.shape.dropFirst(), values: single.x.values + single.x.values)
        let one = try await sd15.prediction(for: single)
        let two = try await sd15.prediction(for: doubled)
        #expect(two.shape == [2, 4, 8, 8])
        #expect(nmse(one.values + one.values, two.values) < 1e-10)
    }
}

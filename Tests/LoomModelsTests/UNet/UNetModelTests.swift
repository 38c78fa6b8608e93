import Foundation
import LoomModelFiles
@testable import LoomModels
import LoomVulkan
import Testing

@Suite struct UNetModelTests {
    static let tolerance = 5e-4

    private func network(_ file: String) throws -> UNetModel {
        try UNetModel(file: UNetGolden.open(file), context: ComputeDevice.processDefault.context())
    }

    /// Each sample's output, and every traced block's, against the reference; a failure names the
    /// first block that differs.
    private func expectGolden(_ name: String) throws {
        let golden = try UNetGolden()
        let c = try golden.testCase(name)
        let unet = try network(c.model)
        for sample in c.timesteps.indices {
            var checked: Set<String> = []
            let output = try unet.evaluate(golden.input(c, sample: sample)) { block, tensor in
                guard let name = c.trace[block] else { return }
                let expected = try golden.array(name).sample(sample)
                let error = nmse(expected.values, try unet.context.download(tensor))
                #expect(error <= Self.tolerance, "\(c.name)[\(sample)] \(block): NMSE \(error)")
                checked.insert(block)
            }
            #expect(checked == Set(c.trace.keys))
            let expected = try golden.array(c.output).sample(sample)
            #expect(output.shape == expected.shape)
            let error = nmse(expected.values, output.values)
            #expect(error <= Self.tolerance, "\(c.name)[\(sample)] output: NMSE \(error)")
        }
    }

    /// Conv projections, 8 heads, no ADM; 5 × 7 latents (Upsample takes the skip's odd size).
    @Test func sd15MatchesComfyUI() throws { try expectGolden("sd15") }

    /// 9 input channels from a bare diffusion-model file; 7 × 6 latents.
    @Test func sd15InpaintingMatchesComfyUI() throws { try expectGolden("sd15-inpaint") }

    /// Linear projections, 64-channel heads, the ADM vector through label_emb.
    @Test func sdxlMatchesComfyUI() throws { try expectGolden("sdxl") }

    @Test func sdxlRefinerMatchesComfyUI() throws { try expectGolden("sdxl-refiner") }

    /// A batch in one evaluation (cond and uncond at cfg > 1) gives what each sample gives alone.
    @Test func batchOfTwoMatchesEachSampleAlone() async throws {
        let golden = try UNetGolden()
        let c = try golden.testCase("sdxl")
        let unet = try network(c.model)
        let first = try golden.input(c, sample: 0)
        var second = try golden.input(c, sample: 1)
        second.timestep = first.timestep
        var batch = first
        batch.x = HostTensor(shape: [2] + first.x.shape.dropFirst(), values: first.x.values + second.x.values)
        batch.context = HostTensor(shape: [2] + first.context.shape.dropFirst(), values: first.context.values + second.context.values)
        batch.vector = HostTensor(shape: [2, first.vector!.shape[1]], values: first.vector!.values + second.vector!.values)
        let together = try await unet.prediction(for: batch)
        let alone = try await unet.prediction(for: first).values + unet.prediction(for: second).values
        #expect(together.shape == [2, 4, 5, 7])
        #expect(nmse(alone, together.values) < 1e-10)
    }

    @Test func conditioningWithOneRowServesTheWholeBatch() async throws {
        let golden = try UNetGolden()
        let unet = try network("sd15-inpaint-unet-tiny.safetensors")
        let single = try golden.input(golden.testCase("sd15-inpaint"), sample: 0)
        var doubled = single
        doubled.x = HostTensor(shape: [2] + single.x.shape.dropFirst(), values: single.x.values + single.x.values)
        let one = try await unet.prediction(for: single)
        let two = try await unet.prediction(for: doubled)
        #expect(two.shape == [2, 4, 7, 6])
        #expect(nmse(one.values + one.values, two.values) < 1e-10)
    }

    @Test func weightsStayInTheirStoredType() throws {
        let sdxl = try network("sdxl-tiny.safetensors")
        #expect(sdxl.encoder.timeEmbedding.first.weight.dtype == .f16)
        #expect(sdxl.encoder.labelEmbedding?.first.weight.dtype == .f16)
        guard case .resBlock(let block) = sdxl.encoder.inputBlocks[0].layers[0] else { Issue.record("input_blocks.1.0 is not a res block"); return }
        #expect(block.conv1.weight.dtype == .f16)
        guard case .transformer(let transformer) = sdxl.encoder.middleBlock?.layers[1] else { Issue.record("middle_block.1 is not a transformer"); return }
        #expect(transformer.blocks.count == 2)
        #expect(transformer.blocks[0].feedForward.projection.weight.dtype == .f16)
    }

    @Test func channelsFollowTheFile() throws {
        let sd15 = try network("sd15-tiny.safetensors")
        #expect((sd15.latentChannels, sd15.concatChannels, sd15.usesGuidance) == (4, 0, false))
        let inpaint = try network("sd15-inpaint-unet-tiny.safetensors")
        #expect((inpaint.latentChannels, inpaint.concatChannels) == (4, 5))
    }

    @Test func wrongInputsAreNamed() async throws {
        let golden = try UNetGolden()
        let sd15 = try network("sd15-tiny.safetensors")
        var input = try golden.input(golden.testCase("sd15"), sample: 0)
        input.context = HostTensor(zeros: [1, 7, 16])
        await #expect(throws: DiffusionInputError(model: "UNet", input: "context", expected: "[1, tokens, 8]", found: [1, 7, 16])) {
            try await sd15.prediction(for: input)
        }
        var wrongBatch = try golden.input(golden.testCase("sd15"), sample: 0)
        wrongBatch.context = HostTensor(zeros: [3, 5, 8])
        await #expect(throws: DiffusionInputError.self) { try await sd15.prediction(for: wrongBatch) }
        var unexpectedConcat = try golden.input(golden.testCase("sd15"), sample: 0)
        unexpectedConcat.concat = HostTensor(zeros: [1, 5, 5, 7])
        await #expect(throws: DiffusionInputError.self) { try await sd15.prediction(for: unexpectedConcat) }

        let sdxl = try network("sdxl-tiny.safetensors")
        var missingVector = try golden.input(golden.testCase("sdxl"), sample: 0)
        missingVector.vector = nil
        await #expect(throws: DiffusionInputError(model: "UNet", input: "vector", expected: "[1, 1544]", found: [])) {
            try await sdxl.prediction(for: missingVector)
        }
        let inpaint = try network("sd15-inpaint-unet-tiny.safetensors")
        var missingConcat = try golden.input(golden.testCase("sd15-inpaint"), sample: 0)
        missingConcat.concat = nil
        await #expect(throws: DiffusionInputError(model: "UNet", input: "concat", expected: "[1, 5, 7, 6]", found: [])) {
            try await inpaint.prediction(for: missingConcat)
        }
    }
}

@Suite struct GatedFeedForwardTests {
    /// Long inputs run in row chunks (a 1024² SDXL batch would pass lavapipe's buffer limit in one):
    /// the same values as one pass.
    @Test func chunksGiveTheSameValuesAsOnePass() throws {
        let context = try ComputeDevice.processDefault.context()
        let weights = ModelWeights(file: try UNetGolden.open("sdxl-tiny.safetensors"),
                                   prefix: "model.diffusion_model.middle_block.1.transformer_blocks.0.", context: context)
        let whole = try GatedFeedForward(weights, "ff", width: 64)
        let chunked = try GatedFeedForward(weights, "ff", width: 64, chunkBytes: 3 * 512 * 4)
        var random = SystemRandomNumberGenerator()
        let values = (0..<(2 * 35 * 64)).map { _ in Float.random(in: -1...1, using: &random) }
        func run(_ layer: GatedFeedForward) throws -> [Float] {
            let recorder = try context.makeRecorder()
            let output = try layer(context.upload(values, shape: [2, 35, 64]), on: recorder)
            try recorder.submit()
            #expect(output.shape == [2, 35, 64])
            return try context.download(output)
        }
        let expected = try run(whole)
        #expect(nmse(expected, try run(chunked)) < 1e-12)
    }
}

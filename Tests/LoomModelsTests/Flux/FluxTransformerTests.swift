import Foundation
import LoomModelFiles
@testable import LoomModels
import LoomVulkan
import Testing

@Suite struct FluxTransformerTests {
    static let tolerance = 5e-4

    private func transformer(_ file: String, weightBudgetBytes: Int? = nil) throws -> FluxTransformer {
        let (model, parameters) = try FluxGolden.open(file)
        return try FluxTransformer(weights: ModelWeights(file: model, context: ComputeDevice.processDefault.context()), parameters: parameters,
                                   weightBudgetBytes: weightBudgetBytes)
    }

    private func expectGolden(_ name: String, weightBudgetBytes: Int? = nil) async throws {
        let golden = try FluxGolden()
        let c = golden.testCase(name)
        let network = try transformer(c.model, weightBudgetBytes: weightBudgetBytes)
        let velocity = try await network.prediction(for: golden.input(c))
        let expected = try golden.array(c.velocity)
        #expect(velocity.shape == expected.shape)
        let error = nmse(expected.values, velocity.values)
        #expect(error <= Self.tolerance, "\(name): NMSE \(error)")
    }

    @Test func rotaryAxesFollowFluxProportions() {
        #expect(FluxConfiguration.rotaryAxes(headDimension: 128) == [16, 56, 56])
        #expect(FluxConfiguration.rotaryAxes(headDimension: 32) == [4, 14, 14])
        #expect(FluxConfiguration.rotaryAxes(headDimension: 16) == [4, 6, 6])
    }

    @Test func configurationFromDetectedShapes() throws {
        let dev = try FluxConfiguration(FluxGolden.open("flux-dev-golden-bf16.safetensors").1)
        #expect(dev.parameters.variant == .dev)
        #expect((dev.latentChannels, dev.concatChannels, dev.headCount, dev.headDimension) == (16, 0, 2, 16))
        let fill = try FluxConfiguration(FluxGolden.open("flux-fill-golden-bf16.safetensors").1)
        #expect(fill.parameters.variant == .fill)
        #expect((fill.latentChannels, fill.concatChannels) == (16, 80))
    }

    @Test func everyBlockMatchesComfyUI() throws {
        let golden = try FluxGolden()
        let c = golden.testCase("dev")
        let network = try transformer(c.model)
        var checked: [String] = []
        _ = try network.evaluate(golden.input(c)) { name, tensor in
            let expected = try golden.array(c.trace![name]!)
            let actual = try network.weights.context.download(tensor)
            let error = nmse(expected.values, actual)
            #expect(error <= Self.tolerance, "\(name): NMSE \(error)")
            checked.append(name)
        }
        #expect(Set(checked) == Set(c.trace!.keys))
    }

    @Test func devVelocity() async throws { try await expectGolden("dev") }

    /// Flux blocks with their projections' inputs, q, k, v, the attention output and the MLP hidden
    /// stored in 16 bits (`VulkanContext.activationStorage`) against the ComfyUI golden and against
    /// the f32 path; in the cooperative-matrix kernels too (KHR, and coopmat2 matmuls) where the
    /// device has them (mesa-next).
    @Test(arguments: [(DType.f16, nil), (.bf16, nil), (.f16, .cooperative), (.bf16, .cooperative), (.f16, .cooperative2), (.bf16, .cooperative2)]
          as [(DType, MatmulKernel?)])
    func sixteenBitActivationsStayWithinTheGolden(storage: DType, kernel: MatmulKernel?) async throws {
        let reference = try VulkanContext(activationStorage: .f32)
        try #require(reference.device.supports16BitStorage, "lavapipe stores 16-bit values")
        let context = try VulkanContext(matmulKernel: kernel, activationStorage: storage)
        switch kernel {
        case .cooperative: if !context.device.supportsCooperativeMatrixMatmul { return }
        case .cooperative2: if !context.device.supportsCooperativeMatrix2Matmul { return }
        default: break
        }
        let f32Context = kernel != nil ? try VulkanContext(matmulKernel: kernel, activationStorage: .f32) : reference
        let golden = try FluxGolden()
        for name in ["dev", "fill"] {
            let c = golden.testCase(name)
            let (model, parameters) = try FluxGolden.open(c.model)
            func velocity(_ context: VulkanContext) async throws -> HostTensor {
                try await FluxTransformer(weights: ModelWeights(file: model, context: context), parameters: parameters)
                    .prediction(for: golden.input(c))
            }
            let sixteen = try await velocity(context)
            let f32 = try await velocity(f32Context)
            let error = nmse(try golden.array(c.velocity).values, sixteen.values)
            let drift = nmse(f32.values, sixteen.values)
            print("flux \(name) \(storage)\(kernel.map { " \($0)" } ?? ""): NMSE \(error) against ComfyUI, \(drift) against f32 storage")
            #expect(error <= Self.tolerance, "\(name) \(storage): NMSE \(error)")
            // Nonzero: the 16-bit paths did run; small: only their rounding differs.
            #expect(drift > 0 && drift <= (storage == .bf16 ? 1e-4 : 1e-5), "\(name) \(storage): NMSE \(drift) against f32 storage")
        }
    }

    @Test func oddLatentIsPaddedCircularlyAndCropped() async throws { try await expectGolden("dev-odd") }

    @Test func batchOfTwoWithDifferentConditioning() async throws { try await expectGolden("dev-batch2") }

    @Test func fillConcatenatesMaskedImageAndMask() async throws { try await expectGolden("fill") }

    @Test func schnellHasNoGuidanceEmbedding() async throws {
        #expect(try !transformer("flux-schnell-golden-bf16.safetensors").usesGuidance)
        try await expectGolden("schnell")
    }

    @Test func ggufQ8_0ReadsQuantisedWeightsDirectly() async throws {
        let (model, parameters) = try FluxGolden.open("flux-dev-golden-Q8_0.gguf")
        let network = try FluxTransformer(weights: ModelWeights(file: model, context: ComputeDevice.processDefault.context()), parameters: parameters)
        #expect(network.residentDoubleBlocks[0].image.qkv.weight.dtype == .q8_0)
        try await expectGolden("dev-q8_0")
    }

    @Test func scaledFP8WeightsKeepTheirScale() async throws {
        let qkv = try transformer("flux-dev-golden-fp8-e4m3fn-scaled.safetensors").residentDoubleBlocks[0].image.qkv
        #expect(qkv.weight.dtype == .f8E4M3)
        #expect(qkv.weightScale != 1)
        try await expectGolden("dev-fp8-scaled")
    }

    /// The fixture models of Tests/Fixtures/models (head dimension 8) hold the same weights as BF16
    /// and as Q4_0 GGUF: the Q4_0 velocity may differ from the BF16 one only by quantisation noise.
    @Test func q4_0MatchesItsBF16SourceUpToQuantisationNoise() async throws {
        let context = try ComputeDevice.processDefault.context()
        func network(_ file: String) throws -> FluxTransformer {
            let model = try ModelFixtures.open(file)
            guard case .flux(let parameters) = ArchitectureDetector.detect(model).first?.architecture else {
                throw FluxModelError.unsupportedShape("\(file) is not detected as Flux")
            }
            return try FluxTransformer(weights: ModelWeights(file: model, context: context), parameters: parameters)
        }
        let q4 = try network("flux-dev-tiny-Q4_0.gguf")
        #expect(q4.residentDoubleBlocks[0].image.mlpOut.weight.dtype == .q4_0)
        let golden = try FluxGolden()
        let input = try golden.input(golden.testCase("dev"))
        let reference = try await network("flux-dev-tiny.safetensors").prediction(for: input)
        let quantised = try await q4.prediction(for: input)
        let error = nmse(reference.values, quantised.values)
        #expect(error > 0 && error < 1e-2, "NMSE \(error)")
    }

    @Test func streamedBlocksGiveTheSameVelocity() async throws {
        let streamed = try transformer("flux-dev-golden-bf16.safetensors", weightBudgetBytes: 0)
        #expect(streamed.memoryPlan.residentBlockCount == 0)
        #expect(streamed.residentDoubleBlocks.isEmpty && streamed.residentSingleBlocks.isEmpty)
        try await expectGolden("dev", weightBudgetBytes: 0)
        let plan = try transformer("flux-dev-golden-bf16.safetensors").memoryPlan
        // Room for the shared weights, one streamed block and the first block: one resident, three streamed.
        let partial = plan.sharedBytes + plan.blockBytes.max()! + plan.blockBytes[0]
        #expect(try transformer("flux-dev-golden-bf16.safetensors", weightBudgetBytes: partial).memoryPlan.residentBlockCount == 1)
        try await expectGolden("dev-batch2", weightBudgetBytes: partial)
    }

    @Test func memoryPlanKeepsWhatFitsAndLeavesRoomToStream() {
        #expect(FluxMemoryPlan(blockBytes: [10, 10, 20], sharedBytes: 5, budgetBytes: 45).residentBlockCount == 3)
        let partial = FluxMemoryPlan(blockBytes: [10, 10, 20], sharedBytes: 5, budgetBytes: 44)
        #expect(partial.residentBlockCount == 1)
        #expect(partial.streamsBlocks)
        #expect(partial.residentBytes == 15)
        #expect(FluxMemoryPlan(blockBytes: [10, 10, 20], sharedBytes: 5, budgetBytes: 0).residentBlockCount == 0)
    }

    @Test func planCountsEveryTensorOnce() throws {
        let (model, parameters) = try FluxGolden.open("flux-dev-golden-bf16.safetensors")
        let plan = FluxMemoryPlan(file: model, prefix: "", configuration: try FluxConfiguration(parameters), budgetBytes: .max)
        let expected = model.tensors.reduce(0) { $0 + ($1.shape.count < 2 ? 4 * $1.elementCount : $1.byteCount) }
        #expect(plan.sharedBytes + plan.blockBytes.reduce(0, +) == expected)
        #expect(plan.blockCount == 4)
        #expect(plan.blockBytes[0] == plan.blockBytes[1] && plan.blockBytes[0] > plan.blockBytes[2])
    }

    @Test func wrongInputsAreNamed() async throws {
        let golden = try FluxGolden()
        let dev = try transformer("flux-dev-golden-bf16.safetensors")
        var input = try golden.input(golden.testCase("dev"))
        input.context = HostTensor(zeros: [1, 5, 16])
        await #expect(throws: FluxModelError.input(name: "context", expected: "[batch, tokens, 32]", found: [1, 5, 16])) {
            try await dev.prediction(for: input)
        }
        let fill = try transformer("flux-fill-golden-bf16.safetensors")
        var fillInput = try golden.input(golden.testCase("fill"))
        fillInput.concat = nil
        await #expect(throws: FluxModelError.self) { try await fill.prediction(for: fillInput) }
    }
}

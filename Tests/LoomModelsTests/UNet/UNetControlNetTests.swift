import Foundation
import LoomModelFiles
@testable import LoomModels
import LoomVulkan
import Testing

/// A classic (cldm) SD1.5 ControlNet in the LDM layout against ComfyUI's own `cldm.ControlNet` and UNet
/// (Tests/Fixtures/golden/controlnet, scripts/fixtures/make_controlnet_golden.py).
@Suite struct UNetControlNetTests {
    static let tolerance = 5e-4
    static let directory = FluxControlNetTests.directory

    static func open(_ file: String) throws -> (ModelFile, ModelArchitecture) {
        let model = try ModelFile.open(path: directory.appendingPathComponent(file).path)
        guard let architecture = ArchitectureDetector.detect(model).first?.architecture else {
            throw DiffusionInputError(model: file, input: "file", expected: "a recognised model", found: [])
        }
        return (model, architecture)
    }

    static func controlNet() throws -> UNetControlNet {
        let (file, architecture) = try open("sd15-controlnet-small-f16.safetensors")
        guard case .unetControlNet(let parameters) = architecture else { throw DiffusionInputError(model: "\(architecture)", input: "file", expected: "a UNet ControlNet", found: []) }
        return try UNetControlNet(weights: ModelWeights(file: file, context: ComputeDevice.processDefault.context()), parameters: parameters)
    }

    static func unet() throws -> UNetModel {
        try UNetModel(file: open("sd15-unet-small-f16.safetensors").0, context: ComputeDevice.processDefault.context())
    }

    static func inputs(_ network: UNetControlNet) -> (DiffusionInput, ControlInput) {
        let settings = FluxControlNetTests.tensor("sd.settings").values
        let input = DiffusionInput(x: FluxControlNetTests.tensor("sd.x"), timestep: settings[0], context: FluxControlNetTests.tensor("sd.context"))
        return (input, ControlInput(network: network, hint: FluxControlNetTests.tensor("sd.hint"), strength: settings[1], guidance: 0))
    }

    @Test func detectedFromTheLDMKeys() throws {
        let parameters = try Self.controlNet().parameters
        #expect(parameters.hintChannels == 3 && parameters.hintWidths == [8, 8, 16, 16, 16, 16, 32, 32])
        #expect(parameters.unet.modelChannels == 32 && parameters.unet.channelMultipliers == [1] && parameters.unet.resBlockCounts == [1])
        #expect(parameters.unet.inputTransformerDepths == [1] && parameters.unet.middleBlock == .transformer(depth: 1))
        #expect(parameters.unet.outputTransformerDepths.isEmpty && parameters.unet.contextDimension == 8)
        // The ControlNet is not mistaken for a UNet, nor the UNet for a ControlNet.
        #expect(try Self.open("sd15-controlnet-small-f16.safetensors").1 == .unetControlNet(parameters))
        guard case .unet = try Self.open("sd15-unet-small-f16.safetensors").1 else { Issue.record("the UNet is not detected as one"); return }
    }

    @Test func residualsMatchComfyUI() throws {
        let network = try Self.controlNet()
        let (input, control) = Self.inputs(network)
        let recorder = try network.context.makeRecorder()
        let residuals = try network.residuals(control, for: input, recorder: recorder)
        #expect(residuals.output.count == 2)
        for (name, tensor) in [("sd.output.0", residuals.output[0]), ("sd.output.1", residuals.output[1]), ("sd.middle", residuals.middle)] {
            let expected = FluxControlNetTests.tensor(name)
            #expect(tensor.shape == expected.shape)
            let error = nmse(expected.values, try network.context.download(tensor))
            #expect(error <= Self.tolerance, "\(name): NMSE \(error)")
        }
    }

    @Test func steeredNoisePredictionMatchesComfyUI() async throws {
        let network = try Self.controlNet()
        let unet = try Self.unet()
        var (input, control) = Self.inputs(network)
        let plain = try await unet.prediction(for: input)
        #expect(nmse(FluxControlNetTests.tensor("sd.plain").values, plain.values) <= Self.tolerance)
        input.controls = [control]
        let steered = try await unet.prediction(for: input)
        let error = nmse(FluxControlNetTests.tensor("sd.eps").values, steered.values)
        #expect(error <= Self.tolerance, "NMSE \(error)")
        #expect(nmse(FluxControlNetTests.tensor("sd.eps").values, plain.values) > 0.05)
    }

    /// Real-size SDXL and SD1.5 ControlNets in diffusers' names (ComfyUI's `unet_to_diffusers` for the encoder half, as
    /// Loom's LoRA key map lists it, and `load_controlnet`'s ControlNet additions) come back as the LDM names ComfyUI gives them.
    @Test(arguments: [true, false])
    func diffusersNamesOfRealSizeControlNetsAreComfyUIs(_ sdxl: Bool) {
        let unet = sdxl
            ? UNetParameters(inChannels: 4, outChannels: 4, modelChannels: 320, channelMultipliers: [1, 2, 4], resBlockCounts: [2, 2, 2],
                             inputTransformerDepths: [0, 0, 2, 2, 10, 10], outputTransformerDepths: [], middleBlock: .transformer(depth: 10),
                             contextDimension: 2048, usesLinearProjection: true, admInChannels: 2816, attentionHeads: .channels(64))
            : UNetParameters(inChannels: 4, outChannels: 4, modelChannels: 320, channelMultipliers: [1, 2, 4, 4], resBlockCounts: [2, 2, 2, 2],
                             inputTransformerDepths: [1, 1, 1, 1, 1, 1, 0, 0], outputTransformerDepths: [], middleBlock: .transformer(depth: 1),
                             contextDimension: 768, usesLinearProjection: false, admInChannels: nil, attentionHeads: .count(8))
        var expected: [String: String] = [:]
        for (diffusers, ldm) in DiffusersNames.unet(unet)
        where ["input_blocks.", "middle_block.", "time_embed.", "label_emb."].contains(where: ldm.hasPrefix) && !diffusers.hasPrefix("class_embedding.")
            && (sdxl || !ldm.hasPrefix("label_emb.")) {
            expected[ldm] = diffusers
        }
        let skips = sdxl ? 9 : 12
        for end in ["weight", "bias"] {
            for index in 0..<skips { expected["zero_convs.\(index).0.\(end)"] = "controlnet_down_blocks.\(index).\(end)" }
            expected["middle_block_out.0.\(end)"] = "controlnet_mid_block.\(end)"
            expected["input_hint_block.0.\(end)"] = "controlnet_cond_embedding.conv_in.\(end)"
            for block in 0..<6 { expected["input_hint_block.\(2 * block + 2).\(end)"] = "controlnet_cond_embedding.blocks.\(block).\(end)" }
            expected["input_hint_block.14.\(end)"] = "controlnet_cond_embedding.conv_out.\(end)"
        }
        #expect(expected.count > (sdxl ? 800 : 300))
        #expect(expected.keys.contains("input_blocks.8.1.transformer_blocks.9.attn2.to_k.weight") == sdxl)
        let mapped = DiffusersControlNetNames.ldmNames(expected.values.map { "control." + $0 }, prefix: "control.")
        #expect(mapped.count == expected.count)
        for (ldm, diffusers) in expected where mapped["control." + ldm] != "control." + diffusers {
            Issue.record("\(diffusers) maps to \(mapped.first { $0.value == "control." + diffusers }?.key ?? "nothing"), not \(ldm)")
        }
    }

    @Test func fluxControlNetCannotSteerAUNet() async throws {
        let unet = try Self.unet()
        var (input, control) = Self.inputs(try Self.controlNet())
        control.network = try FluxControlNetTests.controlNet()
        input.controls = [control]
        await #expect { try await unet.prediction(for: input) } throws: { "\($0)".contains("a UNet ControlNet, not a Flux ControlNet") }
    }
}

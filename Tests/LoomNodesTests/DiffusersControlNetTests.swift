import Foundation
import LoomGraph
import LoomImaging
import LoomModelFiles
@testable import LoomModels
@testable import LoomNodes
import LoomSampling
import ModelFixtureSupport
import Testing

/// Diffusers-format SD1.5 / SDXL ControlNets and xinsir's SDXL union (promax) ControlNet against ComfyUI's own
/// ControlNet code (`scripts/fixtures/make_sdxl_controlnet_golden.py`): each ControlNet is the encoder of a tiny
/// checkpoint in Tests/Fixtures/models/sd plus its committed new parts, put together here into the file a user has.
@Suite struct DiffusersControlNetTests {
    static let golden = ControlNetNodeTests.repository.appendingPathComponent("Tests/Fixtures/golden/controlnet")
    static let checkpoints = ControlNetNodeTests.repository.appendingPathComponent("Tests/Fixtures/models/sd")
    static let goldenFile: ModelFile = {
        do { return try ModelFile.open(path: golden.appendingPathComponent("sdxl-golden.safetensors").path) } catch { fatalError("\(error)") }
    }()
    static let unionParts = ["task_embedding", "transformer_layes.", "spatial_ch_projs.", "control_add_embedding."]

    static func tensor(_ name: String) -> HostTensor {
        guard let stored = goldenFile[name] else { fatalError("sdxl-golden.safetensors has no \(name)") }
        return HostTensor(shape: stored.shape, values: stored.floats())
    }

    static var hintImage: Image {
        let t = tensor("sdxl.hint.image")
        return Image(batchCount: t.shape[0], height: t.shape[1], width: t.shape[2], channels: t.shape[3], pixels: t.values)
    }

    static func rows(_ tensor: HostTensor, _ count: Int) -> HostTensor {
        HostTensor(shape: [count] + tensor.shape.dropFirst(), values: Array(tensor.values[0..<(count * tensor.count / tensor.shape[0])]))
    }

    /// Writes the whole diffusers-format ControlNet to `path`: the committed `parts` and, under their diffusers names, the
    /// checkpoint tensors the parts' `copied_from` metadata names; names `dropping` accepts are left out.
    static func assemble(_ parts: String, checkpoint: String, to path: String, dropping: (String) -> Bool = { _ in false }) throws {
        try SafetensorsParts.assemble(golden.appendingPathComponent(parts).path, source: checkpoints.appendingPathComponent(checkpoint).path,
                                      to: path, dropping: dropping)
    }

    /// The three ControlNets in a `controlnet` folder, with the tiny checkpoints in `checkpoints`.
    final class Models {
        let temporary: TemporaryFolders
        let resources: Resources

        init() throws {
            temporary = try TemporaryFolders()
            let root = temporary.folders.base + "/models"
            for folder in ["controlnet", "checkpoints"] {
                try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
            }
            try assemble("sdxl-controlnet-union-parts-f16.safetensors", checkpoint: "sdxl-tiny.safetensors",
                         to: root + "/controlnet/controlnet-union-sdxl-promax.safetensors")
            try assemble("sdxl-controlnet-union-parts-f16.safetensors", checkpoint: "sdxl-tiny.safetensors",
                         to: root + "/controlnet/controlnet-canny-sdxl.safetensors") { name in unionParts.contains { name.hasPrefix($0) } }
            try assemble("sd15-controlnet-diffusers-parts-f16.safetensors", checkpoint: "sd15-tiny.safetensors",
                         to: root + "/controlnet/sd-controlnet-canny.safetensors")
            for checkpoint in ["sdxl-tiny.safetensors", "sd15-tiny.safetensors"] {
                try FileManager.default.createSymbolicLink(atPath: root + "/checkpoints/" + checkpoint,
                                                           withDestinationPath: checkpoints.appendingPathComponent(checkpoint).path)
            }
            resources = ControlNetNodeTests.resources(modelsRoot: root)
        }

        deinit { temporary.remove() }

        func path(_ name: String) -> String { temporary.folders.base + "/models/controlnet/" + name }

        func network(_ name: String) throws -> UNetControlNet {
            let file = try ModelFile.open(path: path(name))
            guard case .unetControlNet(let parameters) = try #require(ArchitectureDetector.detect(file).first).architecture else {
                throw DiffusionInputError(model: name, input: "file", expected: "a UNet ControlNet", found: [])
            }
            return try UNetControlNet(weights: ModelWeights(file: file, context: ComputeDevice.processDefault.context()), parameters: parameters)
        }

        func node(_ name: String) async throws -> NodeValue {
            try await ControlNetNodeTests.run(ControlNetLoader.self, ["control_net_name": name], resources: resources)[0]
        }
    }

    @Test func detectedFromTheDiffusersKeys() throws {
        let models = try Models()
        let union = try models.network("controlnet-union-sdxl-promax.safetensors").parameters
        #expect(union.layout == .diffusers && union.unionControlTypeCount == 8)
        #expect(union.hintChannels == 3 && union.hintWidths == [8, 8, 16, 16, 16, 16, 32, 32])
        #expect(union.unet.modelChannels == 32 && union.unet.channelMultipliers == [1, 2] && union.unet.resBlockCounts == [1, 1])
        #expect(union.unet.inputTransformerDepths == [0, 2] && union.unet.middleBlock == .transformer(depth: 2))
        #expect(union.unet.admInChannels == 1544 && union.unet.contextDimension == 16 && union.unet.usesLinearProjection)
        let plain = try models.network("controlnet-canny-sdxl.safetensors").parameters
        #expect(plain.layout == .diffusers && plain.unionControlTypeCount == nil && plain.unet == union.unet)
        let sd15 = try models.network("sd-controlnet-canny.safetensors").parameters
        #expect(sd15.layout == .diffusers && sd15.unet.resBlockCounts == [2, 2] && sd15.unet.inputTransformerDepths == [1, 1, 0, 0])
        #expect(sd15.unet.admInChannels == nil && sd15.unet.contextDimension == 8 && !sd15.unet.usesLinearProjection)
    }

    /// Each case's residuals (strength applied) for the stored input: union typed canny (batch 2), repaint (a promax type)
    /// and auto, the same file without its union parts, and the SD1.5 one.
    @Test(arguments: [
        ("sdxl.union.canny", "controlnet-union-sdxl-promax.safetensors", [3]),
        ("sdxl.union.repaint", "controlnet-union-sdxl-promax.safetensors", [7]),
        ("sdxl.union.auto", "controlnet-union-sdxl-promax.safetensors", []),
        ("sdxl.plain", "controlnet-canny-sdxl.safetensors", []),
        ("sd15", "sd-controlnet-canny.safetensors", []),
    ])
    func residualsMatchComfyUI(_ name: String, _ file: String, _ types: [Int]) throws {
        let models = try Models()
        let network = try models.network(file)
        let x = Self.tensor(name + ".x")
        let batch = x.shape[0]
        let settings = Self.tensor(name + ".settings").values
        let sdxl = name.hasPrefix("sdxl")
        let input = DiffusionInput(x: x, timestep: settings[0], context: Self.rows(Self.tensor(sdxl ? "sdxl.context" : "sd15.context"), batch),
                                   vector: sdxl ? Self.rows(Self.tensor("sdxl.vector"), batch) : nil)
        let control = ControlInput(network: network, hint: Self.tensor("sdxl.hint"), strength: settings[1], controlType: types, guidance: 0)
        let recorder = try network.context.makeRecorder()
        let residuals = try network.residuals(control, for: input, recorder: recorder)
        #expect(residuals.output.count == (sdxl ? 4 : 6))
        for (part, tensor) in residuals.output.enumerated().map({ ("output.\($0)", $1) }) + [("middle", residuals.middle)] {
            let expected = Self.tensor("\(name).\(part)")
            #expect(tensor.shape == expected.shape, "\(name).\(part)")
            let error = nmse(try network.context.download(tensor), reference: expected.values)
            #expect(error <= 5e-4, "\(name).\(part): NMSE \(error)")
        }
    }

    @Test func typeTheModelLacksIsRefusedAsComfyUIRefusesIt() throws {
        let models = try Models()
        let network = try models.network("controlnet-union-sdxl-promax.safetensors")
        let input = DiffusionInput(x: Self.tensor("sdxl.union.repaint.x"), timestep: 500, context: Self.rows(Self.tensor("sdxl.context"), 1),
                                   vector: Self.rows(Self.tensor("sdxl.vector"), 1))
        let control = ControlInput(network: network, hint: Self.tensor("sdxl.hint"), strength: 1, controlType: [8], guidance: 0)
        #expect { try network.residuals(control, for: input, recorder: try network.context.makeRecorder()) } throws: {
            "\($0)".contains("control type 8") && "\($0)".contains("8 control types")
        }
    }

    /// KSampler (euler, simple, 4 steps, cfg 4) on the tiny SDXL checkpoint: the union ControlNet typed canny at 0.8 from 20 %
    /// to 80 %, then chained with the plain one at 0.5; and the SD1.5 one on the tiny SD1.5 checkpoint.
    @Test func controlNetsSampleAsComfyUI() async throws {
        let models = try Models()
        let resources = models.resources
        func checkpoint(_ name: String) async throws -> NodeValue {
            try await ControlNetNodeTests.run(CheckpointLoaderSimple.self, ["ckpt_name": name], resources: resources)[0]
        }
        func apply(_ conditionings: [NodeValue], _ controlNet: NodeValue, strength: Double, start: Double = 0, end: Double = 1) async throws -> [NodeValue] {
            try await ControlNetNodeTests.run(ControlNetApplyAdvanced.self, [
                "positive": conditionings[0], "negative": conditionings[1], "control_net": controlNet,
                "image": Self.hintImage,
                "strength": strength, "start_percent": start, "end_percent": end,
            ], resources: resources)
        }
        func sample(_ model: NodeValue, _ conditionings: [NodeValue], seed: Int) async throws -> HostTensor {
            let output = try await ControlNetNodeTests.run(KSampler.self, [
                "model": model, "seed": seed, "steps": 4, "cfg": 4.0, "sampler_name": "euler", "scheduler": "simple",
                "positive": conditionings[0], "negative": conditionings[1], "latent_image": Latent(samples: HostTensor(zeros: [1, 4, 6, 8])),
                "denoise": 1.0,
            ], resources: resources)
            return try #require(output[0] as? Latent).samples
        }
        func expectGolden(_ name: String, _ samples: HostTensor, baseline: String, _ none: HostTensor) {
            let expected = Self.tensor(name)
            #expect(samples.shape == expected.shape)
            #expect(nmse(samples.values, reference: expected.values) <= 5e-4, "\(name)")
            let change = zip(samples.values, none.values).map { $0 - $1 }
            let expectedChange = zip(expected.values, Self.tensor(baseline).values).map { $0 - $1 }
            #expect(nmse(change, reference: expectedChange) <= 5e-4, "\(name): the ControlNets' change")
        }

        let sdxl = try await checkpoint("sdxl-tiny.safetensors")
        let pooled = Self.tensor("sdxl.sample.pooled")
        let prompts: [NodeValue] = ["sdxl.sample.context", "sdxl.sample.negative_context"].map {
            Conditioning([Conditioning.Entry(crossAttention: Self.tensor($0), pooledOutput: pooled)])
        }
        let union = try await models.node("controlnet-union-sdxl-promax.safetensors")
        #expect((union as? ControlNet)?.family == "SDXL" && (union as? ControlNet)?.needsVAE == false)
        let canny = try await ControlNetNodeTests.run(SetUnionControlNetType.self, ["control_net": union, "type": "canny/lineart/anime_lineart/mlsd"],
                                                      resources: resources)[0]
        let none = try await sample(sdxl, prompts, seed: 5)
        #expect(nmse(none.values, reference: Self.tensor("sdxl.sample.none").values) <= 5e-4)
        let typed = try await apply(prompts, canny, strength: 0.8, start: 0.2, end: 0.8)
        expectGolden("sdxl.sample.union", try await sample(sdxl, typed, seed: 5), baseline: "sdxl.sample.none", none)
        let chained = try await apply(typed, try await models.node("controlnet-canny-sdxl.safetensors"), strength: 0.5)
        expectGolden("sdxl.sample.chain", try await sample(sdxl, chained, seed: 5), baseline: "sdxl.sample.none", none)

        let sd15 = try await checkpoint("sd15-tiny.safetensors")
        let sdPrompts: [NodeValue] = ["sd15.context", "sd15.sample.negative_context"].map { Conditioning([Conditioning.Entry(crossAttention: Self.tensor($0))]) }
        let sdNone = try await sample(sd15, sdPrompts, seed: 8)
        let sdApplied = try await apply(sdPrompts, try await models.node("sd-controlnet-canny.safetensors"), strength: 0.9, end: 0.7)
        expectGolden("sd15.sample", try await sample(sd15, sdApplied, seed: 8), baseline: "sd15.sample.none", sdNone)
    }
}

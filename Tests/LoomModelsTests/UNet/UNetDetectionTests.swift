import LoomModelFiles
import Testing

@Suite struct UNetDetectionTests {
    private func detect(_ file: String) throws -> [DetectedModel] { ArchitectureDetector.detect(try UNetGolden.open(file)) }

    private func unet(in file: String, prefix: String) throws -> UNetParameters? {
        let found = try detect(file).filter { if case .unet = $0.architecture { true } else { false } }
        #expect(found.map(\.prefix) == [prefix])
        guard case .unet(let p) = found.first?.architecture else { Issue.record("\(file): no UNet in \(found)"); return nil }
        return p
    }

    @Test func sd15CheckpointUNetUnderItsPrefix() throws {
        guard let p = try unet(in: "sd15-tiny.safetensors", prefix: "model.diffusion_model.") else { return }
        #expect((p.inChannels, p.outChannels, p.modelChannels) == (4, 4, 32))
        #expect(p.channelMultipliers == [1, 2])
        #expect(p.resBlockCounts == [2, 2])
        #expect(p.inputTransformerDepths == [1, 1, 0, 0])
        #expect(p.outputTransformerDepths == [0, 0, 0, 1, 1, 1])
        #expect(p.middleBlock == .transformer(depth: 1))
        #expect(p.contextDimension == 8)
        #expect(!p.usesLinearProjection)
        #expect(p.admInChannels == nil)
        #expect(p.attentionHeads == .count(8))
        #expect(p.timeEmbeddingDimension == 128)
    }

    @Test func sdxlCheckpoint() throws {
        guard let p = try unet(in: "sdxl-tiny.safetensors", prefix: "model.diffusion_model.") else { return }
        #expect((p.inChannels, p.outChannels, p.modelChannels) == (4, 4, 32))
        #expect(p.channelMultipliers == [1, 2])
        #expect(p.resBlockCounts == [1, 1])
        #expect(p.inputTransformerDepths == [0, 2])
        #expect(p.outputTransformerDepths == [1, 1, 0, 0])
        #expect(p.middleBlock == .transformer(depth: 2))
        #expect(p.contextDimension == 16)
        #expect(p.usesLinearProjection)
        #expect(p.admInChannels == 1544)
        #expect(p.attentionHeads == .channels(64))
        #expect(p.attentionHeads.split(128)! == (2, 64))
        #expect(p.attentionHeads.split(32) == nil)
        #expect(ModelArchitecture.unet(p).description == "UNet (4 input channels, width 32 × [1, 2], context 16, ADM 1544, linear projections)")
    }

    @Test func sdxlRefinerCheckpoint() throws {
        guard let p = try unet(in: "sdxl-refiner-tiny.safetensors", prefix: "model.diffusion_model.") else { return }
        #expect(p.admInChannels == 1288)
        #expect(p.contextDimension == 8)
        #expect(p.middleBlock == .transformer(depth: 1))
    }

    @Test func bareInpaintingDiffusionModel() throws {
        guard let p = try unet(in: "sd15-inpaint-unet-tiny.safetensors", prefix: "") else { return }
        #expect((p.inChannels, p.outChannels) == (9, 4))
        #expect(p.attentionHeads == .count(8))
    }

    /// A ControlNet shares the UNet's encoder names but has no decoder: not a UNet.
    @Test func encoderWithoutDecoderIsNotAUNet() throws {
        let file = try UNetGolden.open("sd15-tiny.safetensors")
        var shapes: [String: [Int]] = [:]
        for tensor in file.tensors where tensor.name.hasPrefix("model.diffusion_model.")
            && !tensor.name.contains("output_blocks.") && !tensor.name.contains(".out.") {
            shapes["control_model." + tensor.name.dropFirst("model.diffusion_model.".count)] = tensor.shape
        }
        shapes["control_model.input_hint_block.0.weight"] = [16, 3, 3, 3]
        #expect(ArchitectureDetector.detect(shapes: shapes).isEmpty)
    }

    /// SD1.5's real layout: 4 levels (320, 640, 1280, 1280), two res blocks each, transformers on
    /// the first three, context 768 — from shapes alone, under a checkpoint's prefix.
    @Test func realSD15Layout() {
        let prefix = "model.diffusion_model."
        var shapes = ["time_embed.0.weight": [1280, 320], "input_blocks.0.0.weight": [320, 4, 3, 3], "out.2.weight": [4, 320, 3, 3],
                      "middle_block.0.in_layers.0.weight": [1280], "middle_block.1.proj_in.weight": [1280, 1280, 1, 1],
                      "middle_block.1.transformer_blocks.0.attn2.to_k.weight": [1280, 768]]
        func block(_ name: String, width: Int, attention: Bool) {
            shapes[name + ".0.in_layers.0.weight"] = [width]
            shapes[name + ".0.out_layers.3.weight"] = [width, width, 3, 3]
            if attention {
                shapes[name + ".1.proj_in.weight"] = [width, width, 1, 1]
                shapes[name + ".1.transformer_blocks.0.attn2.to_k.weight"] = [width, 768]
            }
        }
        let widths = [320, 640, 1280, 1280]
        var input = 1
        for (level, width) in widths.enumerated() {
            for _ in 0..<2 {
                block("input_blocks.\(input)", width: width, attention: level < 3)
                input += 1
            }
            if level < 3 {
                shapes["input_blocks.\(input).0.op.weight"] = [width, width, 3, 3]
                input += 1
            }
        }
        for index in 0..<12 { block("output_blocks.\(index)", width: widths[3 - index / 3], attention: index >= 3) }
        let found = ArchitectureDetector.detect(shapes: Dictionary(uniqueKeysWithValues: shapes.map { (prefix + $0.key, $0.value) }))
        #expect(found.map(\.prefix) == [prefix])
        guard case .unet(let p) = found.first?.architecture else { Issue.record("not a UNet: \(found)"); return }
        #expect(p.channelMultipliers == [1, 2, 4, 4])
        #expect(p.resBlockCounts == [2, 2, 2, 2])
        #expect(p.inputTransformerDepths == [1, 1, 1, 1, 1, 1, 0, 0])
        #expect(p.outputTransformerDepths == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1])
        #expect(p.contextDimension == 768)
        #expect(p.attentionHeads.split(320)! == (8, 40))
    }
}

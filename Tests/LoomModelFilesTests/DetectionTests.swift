import Testing
@testable import LoomModelFiles

@Suite struct DetectionTests {
    private func detect(_ name: String) throws -> [DetectedModel] {
        ArchitectureDetector.detect(try ModelFile.open(path: Fixtures.path(name)))
    }

    @Test(arguments: ["flux-dev-tiny.safetensors", "flux-dev-tiny-Q8_0.gguf", "flux-dev-tiny-Q4_0.gguf"])
    func fluxDevFromShapesInEveryFormat(name: String) throws {
        let models = try detect(name)
        #expect(models.count == 1)
        guard case .flux(let flux) = models.first?.architecture else { Issue.record("not Flux: \(models)"); return }
        #expect(flux.variant == .dev)
        #expect(flux.inChannels == 64 && flux.outChannels == 64)
        #expect(flux.hiddenSize == 16 && flux.headDimension == 8 && flux.headCount == 2)
        #expect(flux.mlpHiddenSize == 64)
        #expect(flux.doubleBlockCount == 2 && flux.singleBlockCount == 2)
        #expect(flux.contextDimension == 32 && flux.pooledDimension == 32)
        #expect(flux.hasGuidanceEmbedding)
    }

    @Test func fluxFillBy384InputChannels() throws {
        guard case .flux(let flux) = try detect("flux-fill-tiny.safetensors").first?.architecture else { Issue.record("not Flux"); return }
        #expect(flux.variant == .fill)
        #expect(flux.inChannels == 384)
    }

    @Test func fluxSchnellLacksGuidance() throws {
        let file = try ModelFile.open(path: Fixtures.path("flux-dev-tiny.safetensors"))
        var shapes: [String: [Int]] = [:]
        for tensor in file.tensors where !tensor.name.hasPrefix("guidance_in.") { shapes[tensor.name] = tensor.shape }
        guard case .flux(let flux) = ArchitectureDetector.detect(shapes: shapes).first?.architecture else { Issue.record("not Flux"); return }
        #expect(flux.variant == .schnell)
        #expect(!flux.hasGuidanceEmbedding)
    }

    @Test(arguments: ["flux-ae-tiny-f32.safetensors", "flux-ae-tiny-bf16.safetensors"])
    func autoencoder(name: String) throws {
        guard case .autoencoder(let ae) = try detect(name).first?.architecture else { Issue.record("not an AE"); return }
        #expect(ae.latentChannels == 16 && ae.imageChannels == 3 && ae.baseChannels == 4)
        #expect(ae.channelMultipliers == [1, 2])
        #expect(ae.encoderResBlockCount == 1 && ae.decoderResBlockCount == 2)
    }

    @Test func clipText() throws {
        guard case .clipText(let clip) = try detect("clip-l-tiny-f16.safetensors").first?.architecture else { Issue.record("not CLIP"); return }
        #expect(clip == CLIPTextParameters(width: 16, layerCount: 2, mlpHiddenSize: 32, vocabularySize: 256, maximumPositions: 77, hasProjection: false))
    }

    @Test(arguments: ["t5-tiny-bf16.safetensors", "t5-tiny-fp8-e4m3fn.safetensors", "t5-tiny-fp8-e4m3fn-scaled.safetensors"])
    func t5Encoder(name: String) throws {
        let models = try detect(name)
        #expect(models.count == 1)
        guard case .t5Encoder(let t5) = models.first?.architecture else { Issue.record("not T5"); return }
        #expect(t5 == T5EncoderParameters(
            modelDimension: 16, layerCount: 2, headCount: 2, headDimension: 8, feedForwardSize: 32,
            isGated: true, relativeAttentionBuckets: 32, vocabularySize: 64))
    }

    @Test func t5EncoderWithLlamaCppNamesAsInT5GGUFs() {
        let shapes: [String: [Int]] = [
            "token_embd.weight": [32128, 64], "enc.blk.0.attn_q.weight": [64, 64], "enc.blk.0.attn_rel_b.weight": [32, 4],
            "enc.blk.0.ffn_gate.weight": [160, 64], "enc.blk.0.ffn_up.weight": [160, 64], "enc.blk.0.ffn_down.weight": [64, 160],
            "enc.blk.2.attn_q.weight": [64, 64], "enc.output_norm.weight": [64],
        ]
        #expect(ArchitectureDetector.detect(shapes: shapes).first?.architecture == .t5Encoder(T5EncoderParameters(
            modelDimension: 64, layerCount: 3, headCount: 4, headDimension: 16, feedForwardSize: 160,
            isGated: true, relativeAttentionBuckets: 32, vocabularySize: 32128)))
    }

    @Test func openPoseBodyFromThePthFile() throws {
        guard case .openPoseBody(let pose) = try detect("body_pose_model-tiny.pth").first?.architecture else { Issue.record("not OpenPose"); return }
        #expect(pose == OpenPoseParameters(stageCount: 2, affinityFieldChannels: 38, heatmapChannels: 19))
    }

    @Test func openPoseHandFromTheLegacyPthFile() throws {
        guard case .openPoseHand(let pose) = try detect("hand_pose_model-tiny-legacy.pth").first?.architecture else { Issue.record("not OpenPose hand"); return }
        #expect(pose == OpenPoseParameters(stageCount: 2, affinityFieldChannels: nil, heatmapChannels: 22))
    }

    @Test func allInOneCheckpointYieldsEachComponentWithItsPrefix() throws {
        var shapes: [String: [Int]] = [:]
        for (name, prefix) in [
            ("flux-dev-tiny.safetensors", "model.diffusion_model."), ("flux-ae-tiny-bf16.safetensors", "vae."),
            ("clip-l-tiny-f16.safetensors", "text_encoders.clip_l.transformer."), ("t5-tiny-bf16.safetensors", "text_encoders.t5xxl.transformer."),
        ] {
            for tensor in try ModelFile.open(path: Fixtures.path(name)).tensors { shapes[prefix + tensor.name] = tensor.shape }
        }
        let models = ArchitectureDetector.detect(shapes: shapes)
        #expect(models.map(\.prefix) == ["model.diffusion_model.", "text_encoders.clip_l.transformer.", "text_encoders.t5xxl.transformer.", "vae."])
        #expect(models.map { $0.architecture.description.split(separator: " ").first ?? "" } == ["Flux", "CLIP", "T5", "AutoencoderKL"])
    }

    @Test func siglipAndClipVisionAreToldApartByTheClassToken() {
        var shapes: [String: [Int]] = [
            "vision_model.embeddings.patch_embedding.weight": [24, 3, 14, 14],
            "vision_model.embeddings.position_embedding.weight": [729, 24],
            "vision_model.encoder.layers.0.mlp.fc1.weight": [40, 24],
            "vision_model.encoder.layers.2.mlp.fc1.weight": [40, 24],
            "vision_model.post_layernorm.weight": [24],
        ]
        #expect(ArchitectureDetector.detect(shapes: shapes).first?.architecture ==
            .siglipVision(VisionTransformerParameters(hiddenSize: 24, layerCount: 3, mlpHiddenSize: 40, patchSize: 14, imageSize: 384)))
        shapes["vision_model.embeddings.class_embedding"] = [24]
        shapes["vision_model.embeddings.position_embedding.weight"] = [257, 24]
        #expect(ArchitectureDetector.detect(shapes: shapes).first?.architecture ==
            .clipVision(VisionTransformerParameters(hiddenSize: 24, layerCount: 3, mlpHiddenSize: 40, patchSize: 14, imageSize: 224)))
    }

    @Test func siglipVisionFromTheFileIncludingItsPoolingHead() throws {
        let models = try detect("siglip-vision-tiny-f16.safetensors")
        // The attention-pooling head (`vision_model.head.*`) must not read as a second model.
        #expect(models.count == 1)
        #expect(models.first?.architecture ==
            .siglipVision(VisionTransformerParameters(hiddenSize: 8, layerCount: 2, mlpHiddenSize: 16, patchSize: 14, imageSize: 384)))
    }

    @Test func visionImageSideIsTheReleasedOneForTheGrid() {
        // 27 × 14 = 378, but sigclip_vision_patch14_384 runs at 384; exact grids stay as they are.
        #expect(ArchitectureDetector.imageSide(grid: 27, patch: 14) == 384)
        #expect(ArchitectureDetector.imageSide(grid: 16, patch: 14) == 224)
        #expect(ArchitectureDetector.imageSide(grid: 24, patch: 14) == 336)
        #expect(ArchitectureDetector.imageSide(grid: 32, patch: 16) == 512)
        // No multiple of 16 in [7·7, 8·7) = [49, 56): the grid's own side.
        #expect(ArchitectureDetector.imageSide(grid: 7, patch: 7) == 49)
    }

    @Test func reduxFromTheFileBridgesTheTinySigLIPAndFlux() throws {
        let models = try detect("flux-redux-tiny.safetensors")
        #expect(models.count == 1)
        guard case .fluxRedux(let redux) = models.first?.architecture else { Issue.record("not Redux: \(models)"); return }
        #expect(redux == FluxReduxParameters(inputDimension: 8, hiddenSize: 96, outputDimension: 32))
        // Its input is the vision tower's width and its output Flux's text-token width, as 1152 → 4096 in the real files.
        guard case .siglipVision(let siglip) = try detect("siglip-vision-tiny-f16.safetensors").first?.architecture,
              case .flux(let flux) = try detect("flux-dev-tiny.safetensors").first?.architecture
        else { Issue.record("companions not detected"); return }
        #expect(redux.inputDimension == siglip.hiddenSize)
        #expect(redux.outputDimension == flux.contextDimension)
    }

    @Test func unionControlNetFromTheDiffusersFormatFile() throws {
        let models = try detect("flux-controlnet-union-tiny.safetensors")
        #expect(models.count == 1)
        #expect(models.first?.architecture ==
            .fluxControlNet(FluxControlNetParameters(hiddenSize: 8, headDimension: 4, mlpHiddenSize: 32, inChannels: 64, hintChannels: 64,
                                                     doubleBlockCount: 2, singleBlockCount: 3, contextDimension: 32, pooledDimension: 32,
                                                     hasGuidanceEmbedding: true, unionModeCount: 10)))
    }

    @Test(arguments: [
        // 2 double blocks × 2 streams × (qkv, proj, mlp 0 / 2, mod) + 2 single blocks × (linear1 / 2, modulation).
        ("flux-lora-kohya-tiny.safetensors", LoRAParameters.Naming.kohya, 26),
        // 2 double blocks × (8 attention + 4 feed-forward) + 2 single blocks × (3 attention + proj_mlp, proj_out).
        ("flux-lora-diffusers-tiny.safetensors", .diffusers, 34),
    ])
    func loraFromTheFile(name: String, naming: LoRAParameters.Naming, modules: Int) throws {
        let models = try detect(name)
        #expect(models.count == 1)
        #expect(models.first?.architecture == .lora(LoRAParameters(naming: naming, baseModel: "Flux", rank: 4, moduleCount: modules)))
    }

    @Test func reduxAndUnionControlNet() {
        #expect(ArchitectureDetector.detect(shapes: ["redux_up.weight": [48, 12], "redux_up.bias": [48], "redux_down.weight": [8, 48]]).first?.architecture ==
            .fluxRedux(FluxReduxParameters(inputDimension: 12, hiddenSize: 48, outputDimension: 8)))
        // The union layout (5 + 10 blocks, 10 modes), and Shakker-Labs' Union-Pro-2.0 layout: no mode embedder,
        // 6 double blocks and no single blocks.
        var union: [String: [Int]] = [
            "controlnet_x_embedder.weight": [32, 64], "x_embedder.weight": [32, 64], "context_embedder.weight": [32, 4096],
            "time_text_embed.text_embedder.linear_1.weight": [32, 768],
            "time_text_embed.guidance_embedder.linear_1.weight": [32, 256],
            "controlnet_mode_embedder.weight": [10, 32],
            "transformer_blocks.0.attn.to_q.weight": [32, 32], "transformer_blocks.0.attn.norm_q.weight": [16],
            "transformer_blocks.0.ff.net.0.proj.weight": [128, 32], "transformer_blocks.4.attn.to_q.weight": [32, 32],
            "single_transformer_blocks.9.attn.to_q.weight": [32, 32],
            "controlnet_blocks.0.weight": [32, 32], "controlnet_single_blocks.0.weight": [32, 32],
        ]
        #expect(ArchitectureDetector.detect(shapes: union).first?.architecture ==
            .fluxControlNet(FluxControlNetParameters(hiddenSize: 32, headDimension: 16, mlpHiddenSize: 128, inChannels: 64, hintChannels: 64,
                                                     doubleBlockCount: 5, singleBlockCount: 10, contextDimension: 4096, pooledDimension: 768,
                                                     hasGuidanceEmbedding: true, unionModeCount: 10)))
        for name in union.keys where name.hasPrefix("single_") || name.hasPrefix("controlnet_single") || name.hasPrefix("controlnet_mode") {
            union[name] = nil
        }
        union["transformer_blocks.5.attn.to_q.weight"] = [32, 32]
        #expect(ArchitectureDetector.detect(shapes: union).first?.architecture ==
            .fluxControlNet(FluxControlNetParameters(hiddenSize: 32, headDimension: 16, mlpHiddenSize: 128, inChannels: 64, hintChannels: 64,
                                                     doubleBlockCount: 6, singleBlockCount: 0, contextDimension: 4096, pooledDimension: 768,
                                                     hasGuidanceEmbedding: true, unionModeCount: nil)))
    }

    @Test func openPoseHand() {
        let shapes: [String: [Int]] = [
            "conv1_1.weight": [64, 3, 3, 3], "conv6_2_CPM.weight": [22, 512, 1, 1],
            "Mconv7_stage2.weight": [22, 128, 1, 1], "Mconv7_stage3.weight": [22, 128, 1, 1],
        ]
        #expect(ArchitectureDetector.detect(shapes: shapes).first?.architecture ==
            .openPoseHand(OpenPoseParameters(stageCount: 3, affinityFieldChannels: nil, heatmapChannels: 22)))
    }

    @Test(arguments: [
        (["lora_unet_double_blocks_0_img_attn_qkv.lora_down.weight": [8, 3072], "lora_unet_double_blocks_0_img_attn_qkv.lora_up.weight": [9216, 8],
          "lora_unet_double_blocks_0_img_attn_qkv.alpha": []], LoRAParameters.Naming.kohya),
        (["diffusion_model.double_blocks.0.img_attn.qkv.lora_A.weight": [8, 3072], "diffusion_model.double_blocks.0.img_attn.qkv.lora_B.weight": [9216, 8]],
         .comfyUI),
        (["transformer.transformer_blocks.0.attn.to_q.lora_A.weight": [8, 3072], "transformer.transformer_blocks.0.attn.to_q.lora_B.weight": [3072, 8]],
         .diffusers),
    ])
    func loraNaming(shapes: [String: [Int]], naming: LoRAParameters.Naming) {
        #expect(ArchitectureDetector.detect(shapes: shapes).first?.architecture ==
            .lora(LoRAParameters(naming: naming, baseModel: "Flux", rank: 8, moduleCount: 1)))
    }

    @Test func unrelatedTensorsAreNotRecognised() {
        #expect(ArchitectureDetector.detect(shapes: ["weight": [3, 3], "decoder.conv_in.bias": [4]]).isEmpty)
    }
}

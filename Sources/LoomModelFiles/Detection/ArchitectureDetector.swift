/// Recognises models from tensor names and shapes only, as ComfyUI's model detection does, so that a
/// renamed file is still recognised and a small test model reports its own sizes.
public enum ArchitectureDetector {
    public static func detect(_ file: ModelFile) -> [DetectedModel] {
        var shapes: [String: [Int]] = [:]
        for tensor in file.tensors where !ScaledFP8.isScaleTensor(tensor.name) {
            shapes[tensor.name] = tensor.shape
        }
        return detect(shapes: shapes)
    }

    /// Models found among `shapes` (tensor name → shape, outermost dimension first), in prefix order.
    public static func detect(shapes: [String: [Int]]) -> [DetectedModel] {
        if let lora = LoRADetector.detect(shapes) {
            return [DetectedModel(prefix: "", architecture: .lora(lora))]
        }
        var found: [DetectedModel] = []
        for recogniser in recognisers {
            for prefix in prefixes(of: recogniser.anchors, in: shapes.keys) {
                let view = ShapeView(shapes: shapes, prefix: prefix)
                if let architecture = recogniser.detect(view) {
                    found.append(DetectedModel(prefix: prefix, architecture: architecture))
                }
            }
        }
        return found.sorted { $0.prefix < $1.prefix }
    }

    private struct Recogniser: Sendable {
        /// Keys that only this architecture has; the text before one is the model's prefix in the file.
        let anchors: [String]
        let detect: @Sendable (ShapeView) -> ModelArchitecture?
    }

    private static let recognisers: [Recogniser] = [
        Recogniser(anchors: ["double_blocks.0.img_attn.qkv.weight"], detect: flux),
        Recogniser(anchors: ["input_blocks.0.0.weight"], detect: { UNetParameters($0).map(ModelArchitecture.unet) }),
        Recogniser(anchors: ["decoder.conv_in.weight", "encoder.conv_in.weight"], detect: autoencoder),
        Recogniser(anchors: ["text_model.embeddings.token_embedding.weight"], detect: clipText),
        Recogniser(anchors: ["encoder.block.0.layer.0.SelfAttention.q.weight"], detect: t5Encoder),
        Recogniser(anchors: ["enc.blk.0.attn_q.weight"], detect: t5EncoderLlamaCppNames),
        Recogniser(anchors: ["vision_model.embeddings.patch_embedding.weight"], detect: visionTransformer),
        Recogniser(anchors: ["redux_up.weight"], detect: fluxRedux),
        Recogniser(anchors: ["controlnet_x_embedder.weight"], detect: fluxControlNet),
        Recogniser(anchors: ["pos_embed_input.weight"], detect: xlabsFluxControlNet),
        Recogniser(anchors: ["zero_convs.0.0.weight"], detect: unetControlNet),
        Recogniser(anchors: ["controlnet_cond_embedding.conv_in.weight"], detect: diffusersUNetControlNet),
        Recogniser(anchors: ["conv5_5_CPM_L1.weight"], detect: openPoseBody),
        Recogniser(anchors: ["conv6_2_CPM.weight"], detect: openPoseHand),
    ]

    private static func prefixes(of anchors: [String], in names: Dictionary<String, [Int]>.Keys) -> Set<String> {
        var prefixes: Set<String> = []
        for name in names {
            for anchor in anchors where name.hasSuffix(anchor) {
                let prefix = String(name.dropLast(anchor.count))
                if prefix.isEmpty || prefix.hasSuffix(".") { prefixes.insert(prefix) }
            }
        }
        return prefixes
    }

    private static func flux(_ view: ShapeView) -> ModelArchitecture? {
        guard let imageIn = view.shape("img_in.weight", rank: 2),
              let norm = view.shape("double_blocks.0.img_attn.norm.query_norm.scale", rank: 1),
              let textIn = view.shape("txt_in.weight", rank: 2),
              let vectorIn = view.shape("vector_in.in_layer.weight", rank: 2),
              let mlp = view.shape("double_blocks.0.img_mlp.0.weight", rank: 2),
              let final = view.shape("final_layer.linear.weight", rank: 2),
              norm[0] > 0, imageIn[0] % norm[0] == 0
        else { return nil }
        let hasGuidance = view.contains("guidance_in.in_layer.weight")
        let variant: FluxParameters.Variant = imageIn[1] == 384 ? .fill : (hasGuidance ? .dev : .schnell)
        return .flux(FluxParameters(
            variant: variant, inChannels: imageIn[1], outChannels: final[0], hiddenSize: imageIn[0],
            headDimension: norm[0], mlpHiddenSize: mlp[0],
            doubleBlockCount: view.blockCount("double_blocks."), singleBlockCount: view.blockCount("single_blocks."),
            contextDimension: textIn[1], pooledDimension: vectorIn[1], hasGuidanceEmbedding: hasGuidance))
    }

    private static func autoencoder(_ view: ShapeView) -> ModelArchitecture? {
        let decoderIn = view.shape("decoder.conv_in.weight", rank: 4)
        let decoderOut = view.shape("decoder.conv_out.weight", rank: 4)
        let encoderIn = view.shape("encoder.conv_in.weight", rank: 4)
        let encoderOut = view.shape("encoder.conv_out.weight", rank: 4)
        guard let baseChannels = decoderOut?[1] ?? encoderIn?[0],
              let latentChannels = decoderIn?[1] ?? encoderOut.map({ $0[0] / 2 }),
              let imageChannels = decoderOut?[0] ?? encoderIn?[1], baseChannels > 0
        else { return nil }
        // The first res block's conv2 output is each level's width; decoder.up.i and encoder.down.i match.
        let hasDecoder = decoderIn != nil
        let levelPrefix = hasDecoder ? "decoder.up." : "encoder.down."
        var multipliers: [Int] = []
        for level in 0..<view.blockCount(levelPrefix) {
            guard let width = view.shape("\(levelPrefix)\(level).block.0.conv2.weight", rank: 4) else { return nil }
            multipliers.append(width[0] / baseChannels)
        }
        return .autoencoder(AutoencoderParameters(
            latentChannels: latentChannels, imageChannels: imageChannels, baseChannels: baseChannels,
            channelMultipliers: multipliers,
            encoderResBlockCount: encoderIn != nil ? view.blockCount("encoder.down.0.block.") : nil,
            decoderResBlockCount: hasDecoder ? view.blockCount("decoder.up.0.block.") : nil))
    }

    private static func clipText(_ view: ShapeView) -> ModelArchitecture? {
        guard let tokens = view.shape("text_model.embeddings.token_embedding.weight", rank: 2),
              let positions = view.shape("text_model.embeddings.position_embedding.weight", rank: 2),
              let mlp = view.shape("text_model.encoder.layers.0.mlp.fc1.weight", rank: 2)
        else { return nil }
        return .clipText(CLIPTextParameters(
            width: tokens[1], layerCount: view.blockCount("text_model.encoder.layers."), mlpHiddenSize: mlp[0],
            vocabularySize: tokens[0], maximumPositions: positions[0], hasProjection: view.contains("text_projection.weight")))
    }

    private static func t5Encoder(_ view: ShapeView) -> ModelArchitecture? {
        let attention = "encoder.block.0.layer.0.SelfAttention."
        guard let query = view.shape(attention + "q.weight", rank: 2),
              let bias = view.shape(attention + "relative_attention_bias.weight", rank: 2), bias[1] > 0
        else { return nil }
        let gated = view.shape("encoder.block.0.layer.1.DenseReluDense.wi_0.weight", rank: 2)
        guard let feedForward = gated ?? view.shape("encoder.block.0.layer.1.DenseReluDense.wi.weight", rank: 2) else { return nil }
        let embedding = view.shape("shared.weight", rank: 2) ?? view.shape("encoder.embed_tokens.weight", rank: 2)
        return .t5Encoder(T5EncoderParameters(
            modelDimension: query[1], layerCount: view.blockCount("encoder.block."), headCount: bias[1],
            headDimension: query[0] / bias[1], feedForwardSize: feedForward[0], isGated: gated != nil,
            relativeAttentionBuckets: bias[0], vocabularySize: embedding?[0]))
    }

    /// T5 encoders converted by llama.cpp (city96's t5-v1_1-xxl-encoder GGUFs) use its tensor names.
    private static func t5EncoderLlamaCppNames(_ view: ShapeView) -> ModelArchitecture? {
        guard let query = view.shape("enc.blk.0.attn_q.weight", rank: 2),
              let bias = view.shape("enc.blk.0.attn_rel_b.weight", rank: 2), bias[1] > 0,
              let feedForward = view.shape("enc.blk.0.ffn_up.weight", rank: 2)
        else { return nil }
        return .t5Encoder(T5EncoderParameters(
            modelDimension: query[1], layerCount: view.blockCount("enc.blk."), headCount: bias[1],
            headDimension: query[0] / bias[1], feedForwardSize: feedForward[0], isGated: view.contains("enc.blk.0.ffn_gate.weight"),
            relativeAttentionBuckets: bias[0], vocabularySize: view.shape("token_embd.weight", rank: 2)?[0]))
    }

    private static func visionTransformer(_ view: ShapeView) -> ModelArchitecture? {
        guard let patch = view.shape("vision_model.embeddings.patch_embedding.weight", rank: 4),
              let positions = view.shape("vision_model.embeddings.position_embedding.weight", rank: 2),
              let mlp = view.shape("vision_model.encoder.layers.0.mlp.fc1.weight", rank: 2)
        else { return nil }
        // CLIP adds a class token (one extra position); SigLIP has only the patch grid.
        let hasClassToken = view.contains("vision_model.embeddings.class_embedding")
        let grid = Int(Double(positions[0] - (hasClassToken ? 1 : 0)).squareRoot().rounded())
        let parameters = VisionTransformerParameters(
            hiddenSize: patch[0], layerCount: view.blockCount("vision_model.encoder.layers."), mlpHiddenSize: mlp[0],
            patchSize: patch[2], imageSize: imageSide(grid: grid, patch: patch[2]))
        return hasClassToken ? .clipVision(parameters) : .siglipVision(parameters)
    }

    /// The unpadded stride-`patch` convolution gives a `grid` for any side in [grid·patch, (grid+1)·patch),
    /// so the shapes do not pin the side down. Released checkpoints use multiples of 16: SigLIP so400m
    /// patch14 384 has a 27 × 27 grid (378 px) but is run, in ComfyUI too, on 384 px images.
    static func imageSide(grid: Int, patch: Int) -> Int {
        let smallest = grid * patch
        let multipleOf16 = (smallest + 15) / 16 * 16
        return multipleOf16 < smallest + patch ? multipleOf16 : smallest
    }

    private static func fluxRedux(_ view: ShapeView) -> ModelArchitecture? {
        guard let up = view.shape("redux_up.weight", rank: 2), let down = view.shape("redux_down.weight", rank: 2) else { return nil }
        return .fluxRedux(FluxReduxParameters(inputDimension: up[1], hiddenSize: up[0], outputDimension: down[0]))
    }

    /// InstantX / Shakker-Labs Flux ControlNets in diffusers' names, as ComfyUI's `load_controlnet_flux_instantx`
    /// reads them: a Flux transformer without its final layer, plus `controlnet_x_embedder` for the hint latent,
    /// one projection per block and, for union models, `controlnet_mode_embedder`.
    private static func fluxControlNet(_ view: ShapeView) -> ModelArchitecture? {
        let double = "transformer_blocks.0.", single = "single_transformer_blocks.0."
        guard let hint = view.shape("controlnet_x_embedder.weight", rank: 2),
              let imageIn = view.shape("x_embedder.weight", rank: 2),
              let textIn = view.shape("context_embedder.weight", rank: 2),
              let pooledIn = view.shape("time_text_embed.text_embedder.linear_1.weight", rank: 2),
              let norm = view.shape(double + "attn.norm_q.weight", rank: 1) ?? view.shape(single + "attn.norm_q.weight", rank: 1),
              let mlp = view.shape(double + "ff.net.0.proj.weight", rank: 2) ?? view.shape(single + "proj_mlp.weight", rank: 2),
              norm[0] > 0, hint[0] == imageIn[0]
        else { return nil }
        return .fluxControlNet(FluxControlNetParameters(
            hiddenSize: imageIn[0], headDimension: norm[0], mlpHiddenSize: mlp[0], inChannels: imageIn[1], hintChannels: hint[1],
            doubleBlockCount: view.blockCount("transformer_blocks."), singleBlockCount: view.blockCount("single_transformer_blocks."),
            contextDimension: textIn[1], pooledDimension: pooledIn[1],
            hasGuidanceEmbedding: view.contains("time_text_embed.guidance_embedder.linear_1.weight"),
            unionModeCount: view.shape("controlnet_mode_embedder.weight", rank: 2)?[0]))
    }

    /// XLabs Flux ControlNets (`flux-canny-controlnet-v3` and the like), as ComfyUI's `load_controlnet_flux_xlabs_mistoline`
    /// reads them: BFL names without a final layer, `input_hint_block` convolutions for the picture, `pos_embed_input`,
    /// `controlnet_blocks.N`.
    private static func xlabsFluxControlNet(_ view: ShapeView) -> ModelArchitecture? {
        guard let hint = view.shape("pos_embed_input.weight", rank: 2), let imageIn = view.shape("img_in.weight", rank: 2),
              let textIn = view.shape("txt_in.weight", rank: 2), let vectorIn = view.shape("vector_in.in_layer.weight", rank: 2),
              let norm = view.shape("double_blocks.0.img_attn.norm.query_norm.scale", rank: 1),
              let mlp = view.shape("double_blocks.0.img_mlp.0.weight", rank: 2),
              view.contains("input_hint_block.0.weight"), view.contains("controlnet_blocks.0.weight"), norm[0] > 0, hint[0] == imageIn[0]
        else { return nil }
        return .fluxControlNet(FluxControlNetParameters(
            hiddenSize: imageIn[0], headDimension: norm[0], mlpHiddenSize: mlp[0], inChannels: imageIn[1], hintChannels: hint[1],
            doubleBlockCount: view.blockCount("double_blocks."), singleBlockCount: view.blockCount("single_blocks."),
            contextDimension: textIn[1], pooledDimension: vectorIn[1], hasGuidanceEmbedding: view.contains("guidance_in.in_layer.weight"),
            unionModeCount: nil, layout: .xlabs))
    }

    /// Classic (`cldm`) SD1.x / SDXL ControlNets in the LDM layout, as ComfyUI's `load_controlnet` reads them (under
    /// `control_model.` in the original `.pth` files): the UNet's encoder half, the hint encoder `input_hint_block`,
    /// one 1×1 `zero_convs.N` per encoder output and `middle_block_out`.
    private static func unetControlNet(_ view: ShapeView) -> ModelArchitecture? {
        guard view.contains("middle_block_out.0.weight"), let first = view.shape("input_hint_block.0.weight", rank: 4),
              let unet = UNetParameters(encoderOf: view)
        else { return nil }
        var widths: [Int] = []
        while let conv = view.shape("input_hint_block.\(2 * widths.count).weight", rank: 4) { widths.append(conv[0]) }
        guard widths.last == unet.modelChannels else { return nil }
        return .unetControlNet(UNetControlNetParameters(unet: unet, hintChannels: first[1], hintWidths: widths))
    }

    /// SD1.x / SDXL ControlNets in diffusers' names, recognised under the LDM names ComfyUI gives them; a union
    /// ControlNet (xinsir's) is one with `control_add_embedding`, its control-type count `task_embedding`'s rows.
    private static func diffusersUNetControlNet(_ view: ShapeView) -> ModelArchitecture? {
        var renamed: [String: [Int]] = [:]
        for (ldm, diffusers) in DiffusersControlNetNames.ldmNames(view.shapes.keys, prefix: view.prefix) {
            renamed[ldm] = view.shapes[diffusers]
        }
        guard case .unetControlNet(let p) = unetControlNet(ShapeView(shapes: renamed, prefix: view.prefix)) else { return nil }
        var union: Int?
        if view.contains("control_add_embedding.linear_1.bias") {
            guard let types = view.shape("task_embedding", rank: 2) else { return nil }
            union = types[0]
        }
        return .unetControlNet(UNetControlNetParameters(unet: p.unet, hintChannels: p.hintChannels, hintWidths: p.hintWidths,
                                                        layout: .diffusers, unionControlTypeCount: union))
    }

    private static func openPoseBody(_ view: ShapeView) -> ModelArchitecture? {
        var stages = 1
        while view.contains("Mconv7_stage\(stages + 1)_L1.weight") { stages += 1 }
        let last = stages == 1 ? ("conv5_5_CPM_L1.weight", "conv5_5_CPM_L2.weight")
            : ("Mconv7_stage\(stages)_L1.weight", "Mconv7_stage\(stages)_L2.weight")
        guard let fields = view.shape(last.0, rank: 4), let heatmaps = view.shape(last.1, rank: 4) else { return nil }
        return .openPoseBody(OpenPoseParameters(stageCount: stages, affinityFieldChannels: fields[0], heatmapChannels: heatmaps[0]))
    }

    private static func openPoseHand(_ view: ShapeView) -> ModelArchitecture? {
        var stages = 1
        while view.contains("Mconv7_stage\(stages + 1).weight") { stages += 1 }
        let last = stages == 1 ? "conv6_2_CPM.weight" : "Mconv7_stage\(stages).weight"
        guard let heatmaps = view.shape(last, rank: 4) else { return nil }
        return .openPoseHand(OpenPoseParameters(stageCount: stages, affinityFieldChannels: nil, heatmapChannels: heatmaps[0]))
    }
}

/// The tensors under one prefix, looked up by their names without it.
struct ShapeView {
    let shapes: [String: [Int]]
    let prefix: String

    func contains(_ name: String) -> Bool { shapes[prefix + name] != nil }

    func shape(_ name: String, rank: Int) -> [Int]? {
        guard let shape = shapes[prefix + name], shape.count == rank else { return nil }
        return shape
    }

    /// The number of blocks `<group>N.` present: one more than the largest index N.
    func blockCount(_ group: String) -> Int {
        let full = prefix + group
        var largest = -1
        for name in shapes.keys where name.hasPrefix(full) {
            let index = name.dropFirst(full.count).prefix { $0.isNumber }
            if let value = Int(index) { largest = max(largest, value) }
        }
        return largest + 1
    }
}

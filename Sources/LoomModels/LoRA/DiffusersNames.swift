import LoomModelFiles

/// Diffusers' names for the weights of networks Loom reads in their original layouts, as ComfyUI's
/// `unet_to_diffusers` and `flux_to_diffusers` list them, for LoRAs trained on diffusers models.
enum DiffusersNames {
    /// (diffusers name, LDM name) for an SD UNet.
    static func unet(_ parameters: UNetParameters) -> [(String, String)] {
        var names: [(String, String)] = []
        var inputDepths = parameters.inputTransformerDepths[...]
        func transformer(_ diffusers: String, _ ldm: String, depth: Int) {
            for name in attentionNames { names.append(("\(diffusers).\(name)", "\(ldm).\(name)")) }
            for block in 0..<max(depth, 0) {
                for name in transformerBlockNames {
                    names.append(("\(diffusers).transformer_blocks.\(block).\(name)", "\(ldm).transformer_blocks.\(block).\(name)"))
                }
            }
        }
        func resnet(_ diffusers: String, _ ldm: String) {
            for (ldmName, diffusersName) in resnetNames { names.append(("\(diffusers).\(diffusersName)", "\(ldm).\(ldmName)")) }
        }
        let levels = parameters.resBlockCounts.count
        for level in 0..<levels {
            var block = 1 + (parameters.resBlockCounts[level] + 1) * level
            for index in 0..<parameters.resBlockCounts[level] {
                resnet("down_blocks.\(level).resnets.\(index)", "input_blocks.\(block).0")
                let depth = inputDepths.popFirst() ?? 0
                if depth > 0 { transformer("down_blocks.\(level).attentions.\(index)", "input_blocks.\(block).1", depth: depth) }
                block += 1
            }
            for end in ["weight", "bias"] {
                names.append(("down_blocks.\(level).downsamplers.0.conv.\(end)", "input_blocks.\(block).0.op.\(end)"))
            }
        }
        let middleDepth: Int
        if case .transformer(let depth) = parameters.middleBlock { middleDepth = depth } else { middleDepth = 0 }
        transformer("mid_block.attentions.0", "middle_block.1", depth: middleDepth)
        for (index, block) in [0, 2].enumerated() { resnet("mid_block.resnets.\(index)", "middle_block.\(block)") }

        let reversedCounts = Array(parameters.resBlockCounts.reversed())
        for level in 0..<levels {
            var block = (reversedCounts[level] + 1) * level
            let count = reversedCounts[level] + 1
            for index in 0..<count {
                var module = 1
                resnet("up_blocks.\(level).resnets.\(index)", "output_blocks.\(block).0")
                let depth = block < parameters.outputTransformerDepths.count ? parameters.outputTransformerDepths[block] : 0
                if depth > 0 {
                    module += 1
                    transformer("up_blocks.\(level).attentions.\(index)", "output_blocks.\(block).1", depth: depth)
                }
                if index == count - 1 {
                    for end in ["weight", "bias"] {
                        names.append(("up_blocks.\(level).upsamplers.0.conv.\(end)", "output_blocks.\(block).\(module).conv.\(end)"))
                    }
                }
                block += 1
            }
        }
        names += basicNames.map { ($0.1, $0.0) }
        return names
    }

    /// (diffusers name, target) for a Flux transformer: diffusers' separate q, k and v are row slices of
    /// BFL's fused matrices, and `norm_out` holds its halves swapped.
    static func flux(_ parameters: FluxParameters) -> [(String, LoRATarget)] {
        let hidden = parameters.hiddenSize
        var names: [(String, LoRATarget)] = []
        for index in 0..<parameters.doubleBlockCount {
            let from = "transformer_blocks.\(index)"
            let to = "diffusion_model.double_blocks.\(index)"
            for end in ["weight", "bias"] {
                for (stream, projections) in [("img", ["to_q", "to_k", "to_v"]), ("txt", ["add_q_proj", "add_k_proj", "add_v_proj"])] {
                    for (slot, projection) in projections.enumerated() {
                        names.append(("\(from).attn.\(projection).\(end)",
                                      LoRATarget("\(to).\(stream)_attn.qkv.\(end)", rows: (slot * hidden)..<((slot + 1) * hidden))))
                    }
                }
            }
            for (diffusers, bfl) in doubleBlockNames { names.append(("\(from).\(diffusers)", LoRATarget("\(to).\(bfl)"))) }
        }
        for index in 0..<parameters.singleBlockCount {
            let from = "single_transformer_blocks.\(index)"
            let to = "diffusion_model.single_blocks.\(index)"
            for end in ["weight", "bias"] {
                for (slot, projection) in ["to_q", "to_k", "to_v"].enumerated() {
                    names.append(("\(from).attn.\(projection).\(end)",
                                  LoRATarget("\(to).linear1.\(end)", rows: (slot * hidden)..<((slot + 1) * hidden))))
                }
                names.append(("\(from).proj_mlp.\(end)", LoRATarget("\(to).linear1.\(end)", rows: (hidden * 3)..<(hidden * 7))))
            }
            for (diffusers, bfl) in singleBlockNames { names.append(("\(from).\(diffusers)", LoRATarget("\(to).\(bfl)"))) }
        }
        for (bfl, diffusers) in fluxBasicNames { names.append((diffusers, LoRATarget("diffusion_model." + bfl))) }
        for end in ["weight", "bias"] {
            names.append(("norm_out.linear.\(end)", LoRATarget("diffusion_model.final_layer.adaLN_modulation.1.\(end)", swapsHalves: true)))
        }
        return names
    }

    private static let attentionNames = ["proj_in.weight", "proj_in.bias", "proj_out.weight", "proj_out.bias", "norm.weight", "norm.bias"]

    private static let transformerBlockNames = [
        "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias",
        "attn1.to_q.weight", "attn1.to_k.weight", "attn1.to_v.weight", "attn1.to_out.0.weight", "attn1.to_out.0.bias",
        "attn2.to_q.weight", "attn2.to_k.weight", "attn2.to_v.weight", "attn2.to_out.0.weight", "attn2.to_out.0.bias",
        "ff.net.0.proj.weight", "ff.net.0.proj.bias", "ff.net.2.weight", "ff.net.2.bias",
    ]

    /// (LDM, diffusers) inside a res block.
    private static let resnetNames = [
        ("in_layers.2.weight", "conv1.weight"), ("in_layers.2.bias", "conv1.bias"),
        ("emb_layers.1.weight", "time_emb_proj.weight"), ("emb_layers.1.bias", "time_emb_proj.bias"),
        ("out_layers.3.weight", "conv2.weight"), ("out_layers.3.bias", "conv2.bias"),
        ("skip_connection.weight", "conv_shortcut.weight"), ("skip_connection.bias", "conv_shortcut.bias"),
        ("in_layers.0.weight", "norm1.weight"), ("in_layers.0.bias", "norm1.bias"),
        ("out_layers.0.weight", "norm2.weight"), ("out_layers.0.bias", "norm2.bias"),
    ]

    /// (LDM, diffusers) outside the blocks.
    private static let basicNames = [
        ("label_emb.0.0.weight", "class_embedding.linear_1.weight"), ("label_emb.0.0.bias", "class_embedding.linear_1.bias"),
        ("label_emb.0.2.weight", "class_embedding.linear_2.weight"), ("label_emb.0.2.bias", "class_embedding.linear_2.bias"),
        ("label_emb.0.0.weight", "add_embedding.linear_1.weight"), ("label_emb.0.0.bias", "add_embedding.linear_1.bias"),
        ("label_emb.0.2.weight", "add_embedding.linear_2.weight"), ("label_emb.0.2.bias", "add_embedding.linear_2.bias"),
        ("input_blocks.0.0.weight", "conv_in.weight"), ("input_blocks.0.0.bias", "conv_in.bias"),
        ("out.0.weight", "conv_norm_out.weight"), ("out.0.bias", "conv_norm_out.bias"),
        ("out.2.weight", "conv_out.weight"), ("out.2.bias", "conv_out.bias"),
        ("time_embed.0.weight", "time_embedding.linear_1.weight"), ("time_embed.0.bias", "time_embedding.linear_1.bias"),
        ("time_embed.2.weight", "time_embedding.linear_2.weight"), ("time_embed.2.bias", "time_embedding.linear_2.bias"),
    ]

    /// (diffusers, BFL) inside a double block.
    private static let doubleBlockNames = [
        ("attn.to_out.0.weight", "img_attn.proj.weight"), ("attn.to_out.0.bias", "img_attn.proj.bias"),
        ("norm1.linear.weight", "img_mod.lin.weight"), ("norm1.linear.bias", "img_mod.lin.bias"),
        ("norm1_context.linear.weight", "txt_mod.lin.weight"), ("norm1_context.linear.bias", "txt_mod.lin.bias"),
        ("attn.to_add_out.weight", "txt_attn.proj.weight"), ("attn.to_add_out.bias", "txt_attn.proj.bias"),
        ("ff.net.0.proj.weight", "img_mlp.0.weight"), ("ff.net.0.proj.bias", "img_mlp.0.bias"),
        ("ff.net.2.weight", "img_mlp.2.weight"), ("ff.net.2.bias", "img_mlp.2.bias"),
        ("ff_context.net.0.proj.weight", "txt_mlp.0.weight"), ("ff_context.net.0.proj.bias", "txt_mlp.0.bias"),
        ("ff_context.net.2.weight", "txt_mlp.2.weight"), ("ff_context.net.2.bias", "txt_mlp.2.bias"),
        ("attn.norm_q.weight", "img_attn.norm.query_norm.scale"), ("attn.norm_k.weight", "img_attn.norm.key_norm.scale"),
        ("attn.norm_added_q.weight", "txt_attn.norm.query_norm.scale"), ("attn.norm_added_k.weight", "txt_attn.norm.key_norm.scale"),
    ]

    /// (diffusers, BFL) inside a single block.
    private static let singleBlockNames = [
        ("norm.linear.weight", "modulation.lin.weight"), ("norm.linear.bias", "modulation.lin.bias"),
        ("proj_out.weight", "linear2.weight"), ("proj_out.bias", "linear2.bias"),
        ("attn.norm_q.weight", "norm.query_norm.scale"), ("attn.norm_k.weight", "norm.key_norm.scale"),
    ]

    /// (BFL, diffusers) outside the blocks.
    private static let fluxBasicNames = [
        ("final_layer.linear.bias", "proj_out.bias"), ("final_layer.linear.weight", "proj_out.weight"),
        ("img_in.bias", "x_embedder.bias"), ("img_in.weight", "x_embedder.weight"),
        ("time_in.in_layer.bias", "time_text_embed.timestep_embedder.linear_1.bias"),
        ("time_in.in_layer.weight", "time_text_embed.timestep_embedder.linear_1.weight"),
        ("time_in.out_layer.bias", "time_text_embed.timestep_embedder.linear_2.bias"),
        ("time_in.out_layer.weight", "time_text_embed.timestep_embedder.linear_2.weight"),
        ("txt_in.bias", "context_embedder.bias"), ("txt_in.weight", "context_embedder.weight"),
        ("vector_in.in_layer.bias", "time_text_embed.text_embedder.linear_1.bias"),
        ("vector_in.in_layer.weight", "time_text_embed.text_embedder.linear_1.weight"),
        ("vector_in.out_layer.bias", "time_text_embed.text_embedder.linear_2.bias"),
        ("vector_in.out_layer.weight", "time_text_embed.text_embedder.linear_2.weight"),
        ("guidance_in.in_layer.bias", "time_text_embed.guidance_embedder.linear_1.bias"),
        ("guidance_in.in_layer.weight", "time_text_embed.guidance_embedder.linear_1.weight"),
        ("guidance_in.out_layer.bias", "time_text_embed.guidance_embedder.linear_2.bias"),
        ("guidance_in.out_layer.weight", "time_text_embed.guidance_embedder.linear_2.weight"),
        ("pos_embed_input.bias", "controlnet_x_embedder.bias"), ("pos_embed_input.weight", "controlnet_x_embedder.weight"),
    ]
}

extension DiffusersNames {
    /// For a Flux model stored in diffusers' names: each BFL weight name the transformer reads (without a
    /// prefix) and the diffusers tensors whose rows make it up, in order (q, k, v and the single blocks' MLP
    /// input fused as ComfyUI's `convert_diffusers_mmdit` fuses them).
    static func fluxStoredNames(_ parameters: FluxParameters, prefix: String = "") -> [String: [String]] {
        var parts: [String: [(row: Int, name: String)]] = [:]
        for (diffusers, target) in flux(parameters) where !target.swapsHalves {
            let name = String(target.weight.dropFirst("diffusion_model.".count))
            parts[prefix + name, default: []].append((target.rows?.lowerBound ?? 0, prefix + diffusers))
        }
        return parts.mapValues { $0.sorted { $0.row < $1.row }.map(\.name) }
    }
}

import LoomModelFiles

/// Where a LoRA module's change goes: a weight in ComfyUI's model naming (`diffusion_model.…`,
/// `clip_l.transformer.…`), optionally some of its rows or with its row halves swapped.
public struct LoRATarget: Sendable, Hashable {
    public let weight: String
    public let rows: Range<Int>?
    public let swapsHalves: Bool

    public init(_ weight: String, rows: Range<Int>? = nil, swapsHalves: Bool = false) {
        self.weight = weight
        self.rows = rows
        self.swapsHalves = swapsHalves
    }
}

/// The LoRA module names a model answers to, in ComfyUI's order (`model_lora_keys_unet` and
/// `model_lora_keys_clip`): kohya's `lora_unet_…`/`lora_te…_`, the native names, diffusers' names. A
/// later spelling of the same module name replaces an earlier one, as in a Python dict.
public struct LoRAKeyMap: Sendable {
    public private(set) var order: [String] = []
    public private(set) var targets: [String: LoRATarget] = [:]

    public init() {}

    mutating func add(_ key: String, _ target: LoRATarget) {
        if targets.updateValue(target, forKey: key) == nil { order.append(key) }
    }

    mutating func add(_ key: String, _ weight: String) { add(key, LoRATarget(weight)) }

    /// The diffusion model's module names, from its weights' names under `diffusion_model.`.
    public mutating func addDiffusionModel(names: [String], architecture: ModelArchitecture) {
        let modelNames = names.map { "diffusion_model." + $0 }
        for name in modelNames {
            if name.hasSuffix(".weight") {
                let module = String(name.dropLast(".weight".count))
                add("lora_unet_" + module.dropFirst("diffusion_model.".count).replacingOccurrences(of: ".", with: "_"), name)
                add(module, name)
            } else {
                add(name, name)
            }
        }
        switch architecture {
        case .unet(let parameters):
            for (diffusers, ldm) in DiffusersNames.unet(parameters) where diffusers.hasSuffix(".weight") {
                let target = "diffusion_model." + ldm
                let module = String(diffusers.dropLast(".weight".count))
                add("lora_unet_" + module.replacingOccurrences(of: ".", with: "_"), target)
                add("lycoris_" + module.replacingOccurrences(of: ".", with: "_"), target)
                for prefix in ["", "unet."] {
                    var key = prefix + module.replacingOccurrences(of: ".to_", with: ".processor.to_")
                    if key.hasSuffix(".to_out.0") { key = String(key.dropLast(2)) }
                    add(key, target)
                }
            }
        case .flux(let parameters):
            for (diffusers, target) in DiffusersNames.flux(parameters) where diffusers.hasSuffix(".weight") {
                let module = String(diffusers.dropLast(".weight".count))
                add("transformer." + module, target)
                add("lycoris_" + module.replacingOccurrences(of: ".", with: "_"), target)
                add("lora_transformer_" + module.replacingOccurrences(of: ".", with: "_"), target)
            }
            for name in modelNames where name.hasSuffix(".weight") && name.contains(".linear1.") {
                add(name.replacingOccurrences(of: ".linear1.weight", with: ".linear1_qkv"),
                    LoRATarget(name, rows: 0..<(parameters.hiddenSize * 3)))
            }
        default:
            break
        }
    }

    /// The text encoders' module names, from each encoder's weight names (transformers' layout).
    public mutating func addTextEncoders(_ encoders: [TextEncoderKind: [String]]) {
        let prefixes: [TextEncoderKind: String] = [.clipL: "clip_l.transformer.", .clipG: "clip_g.transformer.", .t5xxl: "t5xxl.transformer."]
        var all: Set<String> = []
        var ordered: [String] = []
        for kind in [TextEncoderKind.clipG, .clipL, .t5xxl] {
            for name in encoders[kind] ?? [] {
                let full = prefixes[kind]! + name
                all.insert(full)
                ordered.append(full)
            }
        }
        for name in ordered where name.hasSuffix(".weight") {
            add("text_encoders." + name.dropLast(".weight".count), name)
        }
        var clipLPresent = false
        var clipGPresent = false
        for block in 0..<32 {
            for (module, kohya) in Self.clipModules {
                let clipL = "clip_l.transformer.text_model.encoder.layers.\(block).\(module).weight"
                if all.contains(clipL) {
                    add("lora_te_text_model_encoder_layers_\(block)_\(kohya)", clipL)
                    add("lora_te1_text_model_encoder_layers_\(block)_\(kohya)", clipL)
                    clipLPresent = true
                    add("text_encoder.text_model.encoder.layers.\(block).\(module)", clipL)
                }
                let clipG = "clip_g.transformer.text_model.encoder.layers.\(block).\(module).weight"
                if all.contains(clipG) {
                    clipGPresent = true
                    if clipLPresent {
                        add("lora_te2_text_model_encoder_layers_\(block)_\(kohya)", clipG)
                        add("text_encoder_2.text_model.encoder.layers.\(block).\(module)", clipG)
                    } else {
                        add("lora_te_text_model_encoder_layers_\(block)_\(kohya)", clipG)
                        add("text_encoder.text_model.encoder.layers.\(block).\(module)", clipG)
                        add("lora_prior_te_text_model_encoder_layers_\(block)_\(kohya)", clipG)
                    }
                }
            }
        }
        for name in ordered where name.hasSuffix(".weight") && name.hasPrefix("t5xxl.transformer.") {
            let module = name.dropFirst("t5xxl.transformer.".count).dropLast(".weight".count).replacingOccurrences(of: ".", with: "_")
            var index = 1
            if clipGPresent { index += 1 }
            if clipLPresent {
                index += 1
                if index == 2 {
                    add("lora_te\(index)_\(module)", name)   // OneTrainer's Flux T5
                    index += 1
                }
            }
            add("lora_te\(index)_\(module)", name)
        }
        if all.contains("clip_g.transformer.text_projection.weight") {
            add("lora_prior_te_text_projection", "clip_g.transformer.text_projection.weight")
            add("lora_te2_text_projection", "clip_g.transformer.text_projection.weight")
        }
        // ComfyUI's CLIP-L always has a projection (an identity when the file has none), so these keys load.
        if encoders[.clipL] != nil {
            if !all.contains("clip_l.transformer.text_projection.weight") {
                add("text_encoders.clip_l.transformer.text_projection", "clip_l.transformer.text_projection.weight")
            }
            add("lora_te1_text_projection", "clip_l.transformer.text_projection.weight")
        }
    }

    /// CLIP's patched modules and kohya's spelling of them.
    private static let clipModules: [(String, String)] = [
        ("mlp.fc1", "mlp_fc1"), ("mlp.fc2", "mlp_fc2"), ("self_attn.k_proj", "self_attn_k_proj"),
        ("self_attn.q_proj", "self_attn_q_proj"), ("self_attn.v_proj", "self_attn_v_proj"),
        ("self_attn.out_proj", "self_attn_out_proj"),
    ]
}

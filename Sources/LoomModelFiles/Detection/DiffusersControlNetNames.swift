/// The LDM names of a diffusers-format SD1.x / SDXL ControlNet's tensors (`controlnet_cond_embedding.*`,
/// `down_blocks.*`, `controlnet_down_blocks.*`, `controlnet_mid_block`), as ComfyUI's `load_controlnet` renames them
/// (`unet_to_diffusers` and its ControlNet additions) before building its `cldm.ControlNet`. Read from the names
/// alone: the res-block count of each level is the number of `down_blocks.L.resnets.N` present.
public enum DiffusersControlNetNames {
    /// LDM name → the diffusers name it is stored under, for every tensor in `names` (all under `prefix`) that
    /// has one; both names carry the prefix. xinsir's union parts keep their names (MultiheadAttention's
    /// `in_proj_weight` becoming `in_proj.weight`).
    public static func ldmNames(_ names: some Sequence<String>, prefix: String = "") -> [String: String] {
        var local: [String] = []
        var resnets: [Int: Int] = [:]
        var hintBlocks = 0
        for name in names where name.hasPrefix(prefix) {
            let part = String(name.dropFirst(prefix.count))
            local.append(part)
            let fields = part.split(separator: ".")
            if fields.count > 4, fields[0] == "down_blocks", fields[2] == "resnets", let level = Int(fields[1]), let index = Int(fields[3]) {
                resnets[level] = max(resnets[level] ?? 0, index + 1)
            }
            if fields.count > 3, fields[0] == "controlnet_cond_embedding", fields[1] == "blocks", let index = Int(fields[2]) {
                hintBlocks = max(hintBlocks, index + 1)
            }
        }
        // input_blocks index of each level's first res block: conv_in is 0, each level adds its res blocks and a downsampler.
        var firstBlock: [Int: Int] = [:]
        var next = 1
        for level in 0..<((resnets.keys.max() ?? -1) + 1) {
            firstBlock[level] = next
            next += (resnets[level] ?? 0) + 1
        }
        var mapped: [String: String] = [:]
        for name in local {
            if let ldm = ldmName(name, firstBlock: firstBlock, resnets: resnets, hintBlocks: hintBlocks) {
                mapped[prefix + ldm] = prefix + name
            }
        }
        return mapped
    }

    private static func ldmName(_ name: String, firstBlock: [Int: Int], resnets: [Int: Int], hintBlocks: Int) -> String? {
        let fields = name.split(separator: ".").map(String.init)
        func rest(_ from: Int) -> String { fields[from...].joined(separator: ".") }
        if let basic = basicNames[name] { return basic }
        switch fields.first {
        case "down_blocks":
            guard fields.count > 4, let level = Int(fields[1]), let first = firstBlock[level], let index = Int(fields[3]) else { return nil }
            switch fields[2] {
            case "resnets": return resnetName(rest(4)).map { "input_blocks.\(first + index).0.\($0)" }
            case "attentions": return "input_blocks.\(first + index).1.\(rest(4))"
            case "downsamplers" where fields.count == 6 && fields[4] == "conv":
                return "input_blocks.\(first + (resnets[level] ?? 0)).0.op.\(fields[5])"
            default: return nil
            }
        case "mid_block":
            guard fields.count > 3, let index = Int(fields[2]) else { return nil }
            switch (fields[1], index) {
            case ("resnets", 0), ("resnets", 1): return resnetName(rest(3)).map { "middle_block.\(2 * index).\($0)" }
            case ("attentions", 0): return "middle_block.1.\(rest(3))"
            default: return nil
            }
        case "controlnet_down_blocks":
            guard fields.count == 3, Int(fields[1]) != nil else { return nil }
            return "zero_convs.\(fields[1]).0.\(fields[2])"
        case "controlnet_mid_block":
            return fields.count == 2 ? "middle_block_out.0.\(fields[1])" : nil
        case "controlnet_cond_embedding":
            switch fields.count {
            case 3 where fields[1] == "conv_in": return "input_hint_block.0.\(fields[2])"
            case 3 where fields[1] == "conv_out": return "input_hint_block.\(2 * (hintBlocks + 1)).\(fields[2])"
            case 4 where fields[1] == "blocks": return Int(fields[2]).map { "input_hint_block.\(2 * ($0 + 1)).\(fields[3])" }
            default: return nil
            }
        case "task_embedding", "transformer_layes", "spatial_ch_projs", "control_add_embedding":
            return name.replacingOccurrences(of: ".attn.in_proj_", with: ".attn.in_proj.")
        default:
            return nil
        }
    }

    private static func resnetName(_ name: String) -> String? {
        guard let dot = name.firstIndex(of: "."), let ldm = resnetModules[String(name[..<dot])] else { return nil }
        return ldm + name[dot...]
    }

    /// Diffusers → LDM inside a res block.
    private static let resnetModules = [
        "norm1": "in_layers.0", "conv1": "in_layers.2", "time_emb_proj": "emb_layers.1", "norm2": "out_layers.0",
        "conv2": "out_layers.3", "conv_shortcut": "skip_connection",
    ]

    /// Diffusers → LDM outside the blocks (SD1.x has no ADM embedding; SDXL's is `add_embedding`, some files' `class_embedding`).
    private static let basicNames: [String: String] = {
        var names: [String: String] = [:]
        for end in ["weight", "bias"] {
            names["conv_in.\(end)"] = "input_blocks.0.0.\(end)"
            names["time_embedding.linear_1.\(end)"] = "time_embed.0.\(end)"
            names["time_embedding.linear_2.\(end)"] = "time_embed.2.\(end)"
            for embedding in ["add_embedding", "class_embedding"] {
                names["\(embedding).linear_1.\(end)"] = "label_emb.0.0.\(end)"
                names["\(embedding).linear_2.\(end)"] = "label_emb.0.2.\(end)"
            }
        }
        return names
    }()
}

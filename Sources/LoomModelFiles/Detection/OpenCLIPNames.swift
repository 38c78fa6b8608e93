/// OpenCLIP text towers (SDXL's `conditioner.embedders.1.model.`, SD2's `cond_stage_model.model.`) renamed
/// to transformers' CLIP layout as a file is opened, so one CLIP text encoder reads both: the fused
/// attention projection split into q/k/v rows, `text_projection` transposed to a Linear weight.
enum OpenCLIPNames {
    static let anchor = "transformer.resblocks.0.attn.in_proj_weight"

    /// `tensors` with every OpenCLIP text tower's tensors replaced by their transformers names, or nil
    /// when there is none.
    static func normalised(_ tensors: [StoredTensor]) -> [StoredTensor]? {
        let names = Set(tensors.map(\.name))
        let prefixes = names.compactMap { name -> String? in
            guard name.hasSuffix(anchor) else { return nil }
            let prefix = String(name.dropLast(anchor.count))
            return names.contains(prefix + "token_embedding.weight") ? prefix : nil
        }
        guard !prefixes.isEmpty else { return nil }
        var result: [StoredTensor] = []
        for tensor in tensors {
            guard let prefix = prefixes.first(where: { tensor.name.hasPrefix($0) }) else {
                result.append(tensor)
                continue
            }
            result += renamed(tensor, local: String(tensor.name.dropFirst(prefix.count)), prefix: prefix)
        }
        return result
    }

    private static let simpleNames: [(String, String)] = [
        ("token_embedding.weight", "text_model.embeddings.token_embedding.weight"),
        ("positional_embedding", "text_model.embeddings.position_embedding.weight"),
        ("ln_final.weight", "text_model.final_layer_norm.weight"),
        ("ln_final.bias", "text_model.final_layer_norm.bias"),
    ]

    private static let blockNames: [(String, String)] = [
        ("ln_1.", "layer_norm1."), ("ln_2.", "layer_norm2."), ("mlp.c_fc.", "mlp.fc1."), ("mlp.c_proj.", "mlp.fc2."),
        ("attn.out_proj.", "self_attn.out_proj."),
    ]

    private static func renamed(_ tensor: StoredTensor, local: String, prefix: String) -> [StoredTensor] {
        if let (_, name) = simpleNames.first(where: { $0.0 == local }) { return [tensor.renamed(prefix + name)] }
        if local == "text_projection" {
            return tensor.transposed(named: prefix + "text_projection.weight").map { [$0] } ?? []
        }
        let blocks = "transformer.resblocks."
        guard local.hasPrefix(blocks) else { return [] }  // logit_scale, attn_mask and the like are unused
        let rest = local.dropFirst(blocks.count)
        guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]) else { return [] }
        let member = String(rest[rest.index(after: dot)...])
        let layer = prefix + "text_model.encoder.layers.\(index)."
        if let (from, to) = blockNames.first(where: { member.hasPrefix($0.0) }) {
            return [tensor.renamed(layer + to + member.dropFirst(from.count))]
        }
        let suffix: String
        switch member {
        case "attn.in_proj_weight": suffix = "weight"
        case "attn.in_proj_bias": suffix = "bias"
        default: return []
        }
        guard let rows = tensor.shape.first, rows % 3 == 0 else { return [tensor] }
        let width = rows / 3
        return ["q_proj", "k_proj", "v_proj"].enumerated().compactMap { part, projection in
            tensor.rows(part * width..<(part + 1) * width, named: layer + "self_attn.\(projection).\(suffix)")
        }
    }
}

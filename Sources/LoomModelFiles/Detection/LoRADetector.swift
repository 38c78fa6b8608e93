/// Recognises LoRA files by their low-rank pair names and classifies the naming scheme, since the
/// same Flux LoRA circulates in kohya, ComfyUI and diffusers spellings.
enum LoRADetector {
    private static let downSuffixes = [".lora_down.weight", ".lora_A.weight", ".lora.down.weight"]
    private static let upSuffixes = [".lora_up.weight", ".lora_B.weight", ".lora.up.weight"]

    static func detect(_ shapes: [String: [Int]]) -> LoRAParameters? {
        var ranks: [Int: Int] = [:]
        var modules: [String] = []
        var hasUp = false
        for (name, shape) in shapes {
            if upSuffixes.contains(where: name.hasSuffix) { hasUp = true }
            guard let suffix = downSuffixes.first(where: name.hasSuffix), let rank = shape.first else { continue }
            modules.append(String(name.dropLast(suffix.count)))
            ranks[rank, default: 0] += 1
        }
        guard hasUp, !modules.isEmpty, let rank = ranks.max(by: { ($0.value, $1.key) < ($1.value, $0.key) })?.key else { return nil }

        let naming: LoRAParameters.Naming
        if modules.allSatisfy({ $0.hasPrefix("lora_unet_") || $0.hasPrefix("lora_te") }) {
            naming = .kohya
        } else if modules.contains(where: { $0.contains("transformer_blocks.") || $0.hasPrefix("transformer.") || $0.hasPrefix("unet.") }) {
            naming = .diffusers
        } else {
            naming = .comfyUI
        }
        let fluxMarkers = ["double_blocks", "single_blocks", "transformer_blocks", "single_transformer_blocks"]
        let isFlux = modules.contains { module in fluxMarkers.contains { module.contains($0) } }
        return LoRAParameters(naming: naming, baseModel: isFlux ? "Flux" : "unknown", rank: rank, moduleCount: modules.count)
    }
}

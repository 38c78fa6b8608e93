/// ComfyUI's "scaled fp8" checkpoints: FP8 weights stored as weight / scale, a per-weight
/// `<module>.scale_weight` (and optional `.scale_input`) holding the scale, and a `scaled_fp8`
/// marker tensor whose dtype names the FP8 format.
public enum ScaledFP8 {
    public static let markerName = "scaled_fp8"

    /// True for the marker and the scale tensors, which are not model weights.
    public static func isScaleTensor(_ name: String) -> Bool {
        name == markerName || name.hasSuffix("." + markerName) || name.hasSuffix(".scale_weight") || name.hasSuffix(".scale_input")
    }
}

extension ModelFile {
    /// Whether the file carries ComfyUI's scaled-fp8 marker (at the top level or under a model prefix).
    public var isScaledFP8: Bool {
        tensors.contains { $0.name == ScaledFP8.markerName || $0.name.hasSuffix("." + ScaledFP8.markerName) }
    }

    /// The scale of weight `name` (`x.weight` → `x.scale_weight`), if the file has one.
    public func weightScale(for name: String) -> StoredTensor? {
        guard name.hasSuffix(".weight") else { return nil }
        return self[String(name.dropLast("weight".count)) + "scale_weight"]
    }

    /// The weight as Float with its scale applied: what the model computes with.
    public func scaledFloats(of name: String) -> [Float]? {
        guard let tensor = self[name] else { return nil }
        let values = tensor.floats()
        guard let scale = weightScale(for: name)?.floats(), scale.count == 1 else { return values }
        return values.map { $0 * scale[0] }
    }
}

/// ComfyUI's scaled-FP8 checkpoints: FP8 weights stored as weight / scale with a per-weight scale.
/// Two spellings exist: the original (`<module>.scale_weight`, optional `.scale_input`, and a
/// `scaled_fp8` marker tensor whose dtype names the FP8 format, F32 meaning E4M3) and the one
/// ComfyUI now converts it to and saves (`<module>.weight_scale`, `.input_scale` and a
/// `.comfy_quant` tensor of JSON bytes describing the layer).
public enum ScaledFP8 {
    public static let markerName = "scaled_fp8"
    private static let scaleSuffixes = [".scale_weight", ".scale_input", ".weight_scale", ".input_scale", ".comfy_quant"]

    /// True for markers, scales and layer descriptions, which are not model weights.
    public static func isScaleTensor(_ name: String) -> Bool {
        name == markerName || name.hasSuffix("." + markerName) || scaleSuffixes.contains(where: name.hasSuffix)
    }
}

extension ModelFile {
    /// The FP8 format named by a `scaled_fp8` marker (at the top level or under a model prefix), if any.
    public var scaledFP8Type: TensorDataType? {
        guard let marker = tensors.first(where: { $0.name == ScaledFP8.markerName || $0.name.hasSuffix("." + ScaledFP8.markerName) }) else {
            return nil
        }
        return marker.dataType == .float8E5M2 ? .float8E5M2 : .float8E4M3
    }

    public var isScaledFP8: Bool { scaledFP8Type != nil }

    /// The scale of weight `name` (`x.weight` → `x.scale_weight` or `x.weight_scale`), if the file has one.
    public func weightScale(for name: String) -> StoredTensor? {
        guard name.hasSuffix(".weight") else { return nil }
        let module = String(name.dropLast("weight".count))
        return self[module + "scale_weight"] ?? self[module + "weight_scale"]
    }

    /// The weight as Float with a per-tensor scale applied: what the model computes with. Block-wise
    /// scales (several values) are left to the caller.
    public func scaledFloats(of name: String) -> [Float]? {
        guard let tensor = self[name] else { return nil }
        let values = tensor.floats()
        guard let scale = weightScale(for: name)?.floats(), scale.count == 1 else { return values }
        return values.map { $0 * scale[0] }
    }
}

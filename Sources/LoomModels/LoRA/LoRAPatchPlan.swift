import LoomModelFiles

/// A LoRA file's changes for one model and its text encoders, ready for `ModelWeights.patches`: ComfyUI's
/// key maps built from the weights' names, the file matched against them, each change checked against
/// the shape of the weight it names and given its strength.
public struct LoRAPatchPlan: Sendable {
    /// A network inside a file, under a prefix.
    public struct Part: Sendable {
        public let file: ModelFile
        public let prefix: String

        public init(file: ModelFile, prefix: String) {
            self.file = file
            self.prefix = prefix
        }

        var names: [String] { file.tensors.compactMap { $0.name.hasPrefix(prefix) ? String($0.name.dropFirst(prefix.count)) : nil } }
    }

    /// The diffusion network's patches by full tensor name, in file order of the LoRA.
    public private(set) var diffusionModel: [String: [WeightPatch]] = [:]
    public private(set) var textEncoders: [TextEncoderKind: [String: [WeightPatch]]] = [:]
    /// The LoRA's tensors nothing took (ComfyUI's "lora key not loaded").
    public let unmatchedKeys: [String]
    /// Matched modules whose weight the model does not have (ComfyUI's "NOT LOADED").
    public private(set) var missingTargets: [String] = []

    private static let textEncoderPrefixes: [(String, TextEncoderKind)] = [
        ("clip_l.transformer.", .clipL), ("clip_g.transformer.", .clipG), ("t5xxl.transformer.", .t5xxl),
    ]

    public init(lora: ModelFile, diffusionModel: Part, architecture: ModelArchitecture, textEncoders: [TextEncoderKind: Part],
                strengthModel: Float, strengthClip: Float) throws(LoRAError) {
        var keys = LoRAKeyMap()
        keys.addDiffusionModel(names: diffusionModel.names, architecture: architecture)
        keys.addTextEncoders(textEncoders.mapValues(\.names))
        let matched = try LoRAPatches(file: lora, keys: keys)
        guard !matched.patches.isEmpty else { throw .nothingMatched(file: lora.path) }
        unmatchedKeys = matched.unmatchedKeys
        for patch in matched.patches {
            let part: Part
            let kind: TextEncoderKind?
            let local: Substring
            if patch.target.weight.hasPrefix("diffusion_model.") {
                (part, kind, local) = (diffusionModel, nil, patch.target.weight.dropFirst("diffusion_model.".count))
            } else if let (prefix, found) = Self.textEncoderPrefixes.first(where: { patch.target.weight.hasPrefix($0.0) }),
                      let encoder = textEncoders[found] {
                (part, kind, local) = (encoder, found, patch.target.weight.dropFirst(prefix.count))
            } else {
                missingTargets.append(patch.module)
                continue
            }
            let name = part.prefix + local
            guard let stored = part.file[name] else {
                // A CLIP-L file without a projection: ComfyUI patches its stand-in identity, which no family reads.
                if kind == .clipL, local == "text_projection.weight" { continue }
                missingTargets.append(patch.module)
                continue
            }
            let weightShape = patch.paddedShape ?? stored.shape
            let region = patch.target.rows.map { [$0.count] + weightShape.dropFirst() } ?? weightShape
            let fits = patch.target.rows.map { $0.upperBound <= (weightShape.first ?? 0) } ?? true
            let padsOutward = weightShape.count == stored.shape.count && zip(weightShape, stored.shape).allSatisfy { $0 >= $1 }
            guard fits, padsOutward, patch.shape.reduce(1, *) == region.reduce(1, *) else {
                throw .shapeMismatch(file: lora.path, module: patch.module, shape: patch.shape, weight: patch.target.weight,
                                     weightShape: stored.shape, rows: patch.target.rows)
            }
            let strength = kind == nil ? strengthModel : strengthClip
            guard strength != 0 else { continue }
            let change = WeightPatch(patch.change, strength: strength, rows: patch.target.rows, swapsHalves: patch.target.swapsHalves,
                                     magnitude: patch.magnitude, paddedShape: patch.paddedShape)
            if let kind {
                self.textEncoders[kind, default: [:]][name, default: []].append(change)
            } else {
                self.diffusionModel[name, default: []].append(change)
            }
        }
    }

    /// ComfyUI's warning lines: one per tensor nothing took, one per matched weight the model lacks.
    public var warnings: [String] {
        unmatchedKeys.map { "lora key not loaded: \($0)" } + missingTargets.map { "NOT LOADED (the model has no such weight): \($0)" }
    }

    /// `existing` with this plan's patches appended after theirs.
    public static func merged(_ existing: [String: [WeightPatch]], _ added: [String: [WeightPatch]]) -> [String: [WeightPatch]] {
        existing.merging(added) { $0 + $1 }
    }
}

import LoomModelFiles

/// ComfyUI's ModelMergeSimple / CLIPMergeSimple as patches: every tensor of the second network that the first
/// also has becomes `ratio · first + (1 − ratio) · second` (the second with its own patches), read from the
/// second network's file one tensor at a time as the first is built.
public struct MergePatches: Sendable {
    /// A network inside a file, under a prefix, with its patches by full tensor name.
    public struct Network: Sendable {
        public let file: ModelFile
        public let prefix: String
        public let patches: [String: [WeightPatch]]

        public init(file: ModelFile, prefix: String, patches: [String: [WeightPatch]]) {
            self.file = file
            self.prefix = prefix
            self.patches = patches
        }

        var localNames: [String] { file.tensors.compactMap { $0.name.hasPrefix(prefix) ? String($0.name.dropFirst(prefix.count)) : nil } }
    }

    /// The first network's patches by full tensor name.
    public private(set) var patches: [String: [WeightPatch]] = [:]
    /// Weights both have in different shapes: scaled by the ratio, the other's not added (ComfyUI's "WEIGHT NOT MERGED").
    public private(set) var notMerged: [String] = []

    /// `skipping` names tensors of the second network that are not merged (CLIP's `position_ids`, `logit_scale`).
    public init(into first: Network, from second: Network, ratio: Float, skipping: (String) -> Bool = { _ in false }) {
        for local in second.localNames where !skipping(local) {
            let target = first.prefix + local
            guard let stored = first.file[target] else { continue }
            let sourceName = second.prefix + local
            let source = WeightPatch.BlendSource(file: second.file, name: sourceName, patches: second.patches[sourceName] ?? [])
            let shape = WeightPatch.shape(of: stored.shape, patchedBy: first.patches[target] ?? [])
            if source.shape != shape { notMerged.append("\(local): \(shape) and \(source.shape ?? [])") }
            patches[target] = [WeightPatch(.blend(source, keep: ratio), strength: 1 - ratio)]
        }
    }

    /// ComfyUI's warning lines for the weights left unmerged.
    public var warnings: [String] { notMerged.map { "WARNING SHAPE MISMATCH, WEIGHT NOT MERGED: \($0)" } }
}

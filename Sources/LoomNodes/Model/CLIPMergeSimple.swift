import Foundation
import LoomGraph
import LoomModels

/// ComfyUI's CLIPMergeSimple: `ratio · clip1 + (1 − ratio) · clip2` for every text-encoder weight both have
/// (clip2 with its LoRAs; `position_ids` and `logit_scale` are not merged); encoders only one of them holds stay
/// clip1's. Like ModelMergeSimple, a patch on clip1's weights: nothing is copied.
public struct CLIPMergeSimple: Node {
    public static let schema = NodeSchema(
        name: "CLIPMergeSimple", displayName: "CLIPMergeSimple", category: "advanced/model_merging",
        inputs: [
            .link("clip1", "CLIP"),
            .link("clip2", "CLIP"),
            .float("ratio", default: 1.0, min: 0.0, max: 1.0, step: 0.01),
        ],
        outputs: [OutputSpec("CLIP")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let first = try inputs("clip1", as: TextEncoder.self)
        let second = try inputs("clip2", as: TextEncoder.self)
        let ratio = try inputs("ratio", as: Double.self)
        if ratio == 1 { return NodeResult([first]) }
        let name = Self.schema.name
        guard let firstSource = first.source else { throw NodeError(name, "clip1: this CLIP was not loaded from a file, so it cannot be merged") }
        guard let secondSource = second.source else { throw NodeError(name, "clip2: this CLIP was not loaded from a file, so it cannot be merged") }
        var weights = firstSource.weights
        var warnings: [String] = []
        var mergedAny = false
        for (kind, own) in firstSource.weights {
            guard let other = secondSource.weights[kind] else { continue }
            let merge = MergePatches(
                into: .init(file: own.file, prefix: own.prefix, patches: own.patches),
                from: .init(file: other.file, prefix: other.prefix, patches: other.patches), ratio: Float(ratio),
                skipping: { $0.hasSuffix(".position_ids") || $0.hasSuffix(".logit_scale") })
            weights[kind]?.patches = LoRAPatchPlan.merged(own.patches, merge.patches)
            warnings += merge.warnings
            mergedAny = mergedAny || !merge.patches.isEmpty
        }
        guard mergedAny else {
            throw NodeError(name, "clip2: shares no text encoder weight with clip1")
        }
        if !warnings.isEmpty { FileHandle.standardError.write(Data((warnings.joined(separator: "\n") + "\n").utf8)) }
        var merged: TextEncoder
        do {
            merged = try TextEncoderAssembly.textEncoder(firstSource.kinds, weights: weights, resources: context.resources)
        } catch {
            throw NodeError(name, "clip2: \(error)")
        }
        merged.clipLayer = first.clipLayer
        return NodeResult([merged], ui: LoraLoader.warningOutput(warnings))
    }
}

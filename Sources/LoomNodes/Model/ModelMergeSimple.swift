import Foundation
import LoomGraph
import LoomModels

/// ComfyUI's ModelMergeSimple: `ratio · model1 + (1 − ratio) · model2` for every weight both have (model2 with its
/// LoRAs), model1's other weights and settings kept. The merge is a patch on model1's weights, so neither model
/// is copied: model2's weights are read one at a time from its memory-mapped file as the merged network is built.
public struct ModelMergeSimple: Node {
    public static let schema = NodeSchema(
        name: "ModelMergeSimple", displayName: "ModelMergeSimple", category: "advanced/model_merging",
        inputs: [
            .link("model1", "MODEL"),
            .link("model2", "MODEL"),
            .float("ratio", default: 1.0, min: 0.0, max: 1.0, step: 0.01),
        ],
        outputs: [OutputSpec("MODEL")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let first = try inputs("model1", as: DiffusionModel.self)
        let second = try inputs("model2", as: DiffusionModel.self)
        let ratio = try inputs("ratio", as: Double.self)
        if ratio == 1 { return NodeResult([first]) }
        let name = Self.schema.name
        guard let firstSource = first.source else {
            throw NodeError(name, "model1: this \(first.family.name) model was not loaded from a file, so it cannot be merged")
        }
        guard let secondSource = second.source else {
            throw NodeError(name, "model2: this \(second.family.name) model was not loaded from a file, so it cannot be merged")
        }
        let merge = MergePatches(
            into: .init(file: firstSource.file, prefix: firstSource.model.prefix, patches: firstSource.patches),
            from: .init(file: secondSource.file, prefix: secondSource.model.prefix, patches: secondSource.patches), ratio: Float(ratio))
        guard !merge.patches.isEmpty else {
            throw NodeError(name, "model2: this \(second.family.name) model shares no weight with model1 (\(first.family.name))")
        }
        if !merge.warnings.isEmpty { FileHandle.standardError.write(Data((merge.warnings.joined(separator: "\n") + "\n").utf8)) }
        let merged: DiffusionModel
        do {
            merged = try first.rebuilt(with: LoRAPatchPlan.merged(firstSource.patches, merge.patches),
                                       context: try context.resources.computeDevice.context())
        } catch let error as NodeError {
            throw error
        } catch {
            throw NodeError(name, "model2: \(error)")
        }
        return NodeResult([merged], ui: LoraLoader.warningOutput(merge.warnings))
    }
}

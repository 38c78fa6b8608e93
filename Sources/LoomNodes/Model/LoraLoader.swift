import Foundation
import LoomGraph
import LoomModelFiles
import LoomModels

/// ComfyUI's "Load LoRA": a LoRA from `loras` applied to a model and its CLIP, each with its own strength
/// (negative strengths subtract the change). Both strengths 0 return the inputs unchanged; chained
/// loaders accumulate their patches. The LoRA's tensors that match no weight are listed in one warning
/// (ComfyUI's "lora key not loaded"), shown in the node's `text` output and on standard error.
public struct LoraLoader: Node {
    static let strengthRange = (min: -100.0, max: 100.0, step: 0.01)

    public static let schema = NodeSchema(
        name: "LoraLoader", displayName: "Load LoRA", category: "loaders",
        description: "LoRAs modify diffusion and CLIP models, for example to apply a style; several LoRA nodes can be chained.",
        inputs: [
            .link("model", "MODEL"),
            .link("clip", "CLIP"),
            .combo("lora_name", ComboOptions(choices: .files(folder: "loras"))),
            .float("strength_model", default: 1.0, min: strengthRange.min, max: strengthRange.max, step: strengthRange.step),
            .float("strength_clip", default: 1.0, min: strengthRange.min, max: strengthRange.max, step: strengthRange.step),
        ],
        outputs: [OutputSpec("MODEL"), OutputSpec("CLIP")])

    public init() {}

    /// The LoRA file's contents: a file replaced under the same name re-runs the node.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        ModelFileLookup.fingerprint(inputs, [("lora_name", "loras")], resources: resources)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let model = try inputs("model", as: DiffusionModel.self)
        let clip = try inputs("clip", as: TextEncoder.self)
        let strengthModel = try inputs("strength_model", as: Double.self)
        let strengthClip = try inputs("strength_clip", as: Double.self)
        if strengthModel == 0, strengthClip == 0 { return NodeResult([model, clip]) }
        let applied = try Self.apply(try inputs("lora_name"), to: model, clip: clip, strengthModel: strengthModel,
                                     strengthClip: strengthClip, node: Self.schema.name, resources: context.resources)
        return NodeResult([applied.model, applied.clip ?? clip], ui: Self.warningOutput(applied.warnings))
    }

    /// The named LoRA opened and applied; shared with LoraLoaderModelOnly.
    static func apply(_ name: String, to model: DiffusionModel, clip: TextEncoder?, strengthModel: Double, strengthClip: Double,
                      node: String, resources: Resources) throws -> LoRAApplication {
        let directories = try ModelFileLookup.directories(resources, for: name, input: "lora_name", node: node)
        let file: ModelFile
        do { file = try ModelFile.open(path: directories.path(of: name, in: "loras")) } catch {
            throw NodeError(node, "lora_name: \(name) cannot be read as a LoRA: \(error)")
        }
        let applied = try LoRAApplication(lora: file, name: name, model: model, clip: clip, strengthModel: Float(strengthModel),
                                          strengthClip: Float(strengthClip), node: node, resources: resources)
        if !applied.warnings.isEmpty {
            FileHandle.standardError.write(Data((applied.warnings.joined(separator: "\n") + "\n").utf8))
        }
        return applied
    }

    /// The warning lines as the node's UI text, nil when there are none.
    static func warningOutput(_ warnings: [String]) -> JSONObject? {
        warnings.isEmpty ? nil : ["text": .array([.string(warnings.joined(separator: "\n"))])]
    }
}

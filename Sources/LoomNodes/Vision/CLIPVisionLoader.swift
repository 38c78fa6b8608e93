import LoomGraph
import LoomModelFiles
import LoomModels

/// Loads a SigLIP or CLIP vision tower from the `clip_vision` model folder, recognised by its tensors.
public struct CLIPVisionLoader: Node {
    public static let schema = NodeSchema(
        name: "CLIPVisionLoader", displayName: "Load CLIP Vision", category: "loaders",
        inputs: [.combo("clip_name", ComboOptions(choices: .files(folder: "clip_vision")))],
        outputs: [OutputSpec("CLIP_VISION")])

    public init() {}

    /// The named file's contents: a model replaced under the same name re-runs the loader.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        ModelFileLookup.fingerprint(inputs, [("clip_name", "clip_vision")], resources: resources)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let name: String = try inputs("clip_name")
        let directories = try ModelFileLookup.directories(context.resources, for: name, input: "clip_name", node: node)
        do {
            let file = try ModelFile.open(path: directories.path(of: name, in: "clip_vision"))
            let weights = ModelWeights(file: file, context: try context.resources.computeDevice.context())
            return NodeResult([try VisionTransformer(weights: weights)])
        } catch {
            throw NodeError(node, "clip_name: '\(name)': \(error)")
        }
    }
}

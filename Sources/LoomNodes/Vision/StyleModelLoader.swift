import LoomGraph
import LoomModelFiles
import LoomModels

/// Loads a style model from the `style_models` folder: Flux Redux, recognised by `redux_down.weight` as ComfyUI
/// recognises it. The older T2I style adapter (`style_embedding`) is refused by name.
public struct StyleModelLoader: Node {
    public static let schema = NodeSchema(
        name: "StyleModelLoader", displayName: "Load Style Model", category: "loaders",
        inputs: [.combo("style_model_name", ComboOptions(choices: .files(folder: "style_models")))],
        outputs: [OutputSpec("STYLE_MODEL")])

    public init() {}

    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        ModelFileLookup.fingerprint(inputs, [("style_model_name", "style_models")], resources: resources)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let name: String = try inputs("style_model_name")
        let directories = try ModelFileLookup.directories(context.resources, for: name, input: "style_model_name", node: node)
        let file: ModelFile
        do {
            file = try ModelFile.open(path: directories.path(of: name, in: "style_models"))
        } catch {
            throw NodeError(node, "style_model_name: \(error)")
        }
        if file["style_embedding"] != nil {
            throw NodeError(node, "style_model_name: '\(name)' is a T2I-Adapter style model (style_embedding), which Loom does not run; Flux Redux (redux_down.weight) is supported")
        }
        guard file["redux_down.weight"] != nil else {
            throw NodeError(node, "style_model_name: '\(name)' is not a style model (expected redux_down.weight for Flux Redux)")
        }
        do {
            let weights = ModelWeights(file: file, context: try context.resources.computeDevice.context())
            return NodeResult([StyleModel.redux(try ReduxImageEncoder(weights: weights))])
        } catch {
            throw NodeError(node, "style_model_name: '\(name)': \(error)")
        }
    }
}

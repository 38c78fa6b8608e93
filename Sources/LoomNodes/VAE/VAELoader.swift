import LoomGraph
import LoomModelFiles
import LoomModels

/// Loads an autoencoder from the `vae` model folder, recognised by its tensor names and shapes.
public struct VAELoader: Node {
    public static let schema = NodeSchema(
        name: "VAELoader", displayName: "Load VAE", category: "loaders",
        inputs: [.combo("vae_name", ComboOptions(choices: .files(folder: "vae")))],
        outputs: [OutputSpec("VAE")])

    public init() {}

    /// The named files' contents: a model replaced under the same name re-runs the loader.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        ModelFileLookup.fingerprint(inputs, [("vae_name", "vae")], resources: resources)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let name = try inputs("vae_name", as: String.self)
        let node = Self.schema.name
        let directories = try ModelFileLookup.directories(context.resources, for: name, input: "vae_name", node: node)
        let file: ModelFile
        do {
            file = try ModelFile.open(path: directories.path(of: name, in: "vae"))
        } catch {
            throw NodeError(node, "vae_name: \(error)")
        }
        let autoencoder: Autoencoder
        do {
            autoencoder = try Autoencoder(file: file, context: context.resources.computeDevice.context())
        } catch {
            throw NodeError(node, "vae_name: '\(name)': \(error)")
        }
        return NodeResult([VAE(autoencoder: autoencoder)])
    }
}

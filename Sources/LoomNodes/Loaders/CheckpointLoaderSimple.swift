import LoomGraph
import LoomModelFiles
import LoomModels
import LoomText

/// Loads an all-in-one checkpoint from `checkpoints`: the diffusion model, its text encoders and its
/// VAE, each found by its tensors under its own prefix (`model.diffusion_model.`,
/// `text_encoders.clip_l.` / `text_encoders.t5xxl.`, `vae.` or `first_stage_model.`).
public struct CheckpointLoaderSimple: Node {
    public static let schema = NodeSchema(
        name: "CheckpointLoaderSimple", displayName: "Load Checkpoint", category: "loaders",
        inputs: [.combo("ckpt_name", ComboOptions(choices: .files(folder: "checkpoints")))],
        outputs: [OutputSpec("MODEL"), OutputSpec("CLIP"), OutputSpec("VAE")])

    public init() {}

    /// The named files' contents: a model replaced under the same name re-runs the loader.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        ModelFileLookup.fingerprint(inputs, [("ckpt_name", "checkpoints")], resources: resources)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let name = try inputs("ckpt_name", as: String.self)
        let directories = try ModelFileLookup.directories(context.resources, for: name, input: "ckpt_name", node: node)
        let file: ModelFile
        do { file = try ModelFile.open(path: directories.path(of: name, in: "checkpoints")) } catch {
            throw NodeError(node, "ckpt_name: \(error)")
        }
        let detected = ArchitectureDetector.detect(file)
        func first<T>(_ pick: (ModelArchitecture) -> T?) -> (DetectedModel, T)? {
            for model in detected { if let value = pick(model.architecture) { return (model, value) } }
            return nil
        }
        let found = detected.map { "\($0.architecture) under '\($0.prefix)'" }.joined(separator: "; ")
        func missing(_ part: String) -> NodeError {
            NodeError(node, "ckpt_name: \(name) has no \(part) (found \(found.isEmpty ? "no known model" : found))")
        }
        guard let (fluxModel, parameters) = first({ if case .flux(let p) = $0 { p } else { nil } }) else {
            throw missing("Flux diffusion model")
        }
        let device = try ComputeDevice.context()
        let model = try DiffusionModelFiles.fluxModel(file, fluxModel, parameters)

        guard let (clipModel, _) = first({ if case .clipText(let p) = $0 { p } else { nil } }),
              let (t5Model, _) = first({ if case .t5Encoder(let p) = $0 { p } else { nil } })
        else { throw missing("CLIP-L and T5 text encoders") }
        let tokenizer: T5Tokenizer
        do { tokenizer = try TextEncoderFiles.t5Tokenizer(for: file, resources: context.resources) } catch {
            throw NodeError(node, "ckpt_name: \(error)")
        }
        let encoder = FluxTextEncoder(
            tokenizer: FluxPromptTokenizer(
                clipL: try CLIPTokenizer.bundled(), t5xxl: tokenizer,
                embeddings: TextEncoderFiles.embeddings(resources: context.resources, key: "clip_l")),
            clipL: try CLIPTextEncoder(weights: ModelWeights(file: file, prefix: clipModel.prefix, context: device)),
            t5xxl: try T5Encoder(weights: ModelWeights(file: file, prefix: t5Model.prefix, context: device)))

        guard first({ if case .autoencoder(let p) = $0 { p } else { nil } }) != nil else { throw missing("VAE") }
        let autoencoder = try FluxAutoencoder(file: file, context: device)
        return NodeResult([model, TextEncoder(.flux(encoder)), VAE(autoencoder: autoencoder, latentFormat: .flux)])
    }
}

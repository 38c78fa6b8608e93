import LoomGraph
import LoomModelFiles
import LoomModels
import LoomText

/// Loads an all-in-one checkpoint from `checkpoints`: the diffusion model, its text encoders and its
/// VAE, each found by its tensors under its own prefix (`model.diffusion_model.`, `text_encoders.…`,
/// `cond_stage_model.`, `conditioner.embedders.N.`, `vae.`, `first_stage_model.`). The network's family
/// says which text encoders and which latent format go with it.
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
        let resources = context.resources
        let directories = try ModelFileLookup.directories(resources, for: name, input: "ckpt_name", node: node)
        let file: ModelFile
        do { file = try ModelFile.open(path: directories.path(of: name, in: "checkpoints")) } catch {
            throw NodeError(node, "ckpt_name: \(error)")
        }
        let detected = ArchitectureDetector.detect(file)
        func missing(_ part: String) -> NodeError {
            NodeError(node, "ckpt_name: \(name) has no \(part) (found \(DiffusionModelFiles.found(detected)))")
        }
        guard let (family, networkModel) = ModelFamily.diffusionModel(in: detected) else {
            throw missing("diffusion model of a family Loom runs (looked for \(ModelFamily.detectionSummary))")
        }
        let model = try DiffusionModelFiles.load(networkModel, of: family, from: file, node: node, input: "ckpt_name",
                                                 resources: resources)
        let device = try resources.computeDevice.context()

        let textModels = CheckpointTextEncoders.find(family.textEncoders, in: detected)
        let clip: TextEncoder
        do {
            clip = try TextEncoderAssembly.textEncoder(
                family.textEncoders,
                weights: textModels.mapValues { ModelWeights(file: file, prefix: $0.prefix, context: device) },
                resources: resources)
        } catch let error as TextEncoderAssemblyError {
            throw missing("\(family.name) text encoders: \(error)")
        } catch {
            throw NodeError(node, "ckpt_name: \(error)")
        }

        guard detected.contains(where: { if case .autoencoder = $0.architecture { true } else { false } }) else { throw missing("VAE") }
        let autoencoder: Autoencoder
        do { autoencoder = try Autoencoder(file: file, context: device) } catch {
            throw NodeError(node, "ckpt_name: \(error)")
        }
        return NodeResult([model, clip, VAE(autoencoder: autoencoder)])
    }
}

/// Which of a checkpoint's detected models is which text encoder. OpenCLIP towers (`….model.`, read
/// through the normalised names) are CLIP-G in SDXL checkpoints; transformers' (`….transformer.`) CLIP-L.
enum CheckpointTextEncoders {
    static func find(_ kinds: [TextEncoderKind], in detected: [DetectedModel]) -> [TextEncoderKind: DetectedModel] {
        var found: [TextEncoderKind: DetectedModel] = [:]
        for model in detected {
            let isOpenCLIP = model.prefix.hasSuffix(".model.") || model.prefix == "model."
            switch model.architecture {
            case .clipText where kinds.contains(.clipG) && (isOpenCLIP || !kinds.contains(.clipL)):
                found[.clipG] = found[.clipG] ?? model
            case .clipText:
                found[.clipL] = found[.clipL] ?? model
            case .t5Encoder:
                found[.t5xxl] = found[.t5xxl] ?? model
            default:
                break
            }
        }
        return found
    }
}

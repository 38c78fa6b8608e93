import LoomModelFiles
import LoomSampling
import LoomVulkan

/// One kind of diffusion model and everything that goes with it, as ComfyUI's `supported_models`
/// entries: how its network is recognised in a file, how it is built, its latent format and model
/// sampling, the text encoders and VAE it is used with, and how conditioning becomes its inputs.
/// Loaders and sampling ask the family; adding a family is adding one of these.
public struct ModelFamily: Sendable, CustomStringConvertible {
    /// How ComfyUI users call it ("Flux", "SDXL", "SD1.5").
    public let name: String
    /// Whether a recognised network is this family's.
    public let recognises: @Sendable (ModelArchitecture) -> Bool
    /// The tensors (under any prefix) that identify the family's networks, for messages about files that
    /// have none of them.
    public let detectionKeys: [String]
    public let latentFormat: LatentFormat
    /// The text encoders a CLIP for this family holds, in the order of ComfyUI's CLIP type.
    public let textEncoders: [TextEncoderKind]
    /// The network's default model sampling, which ModelSampling* nodes replace.
    public let sampling: @Sendable (ModelArchitecture, ModelWeights) -> any ModelSampling
    /// The network on the device, from the weights under the network's prefix.
    public let network: @Sendable (ModelArchitecture, ModelWeights) throws -> any DiffusionNetwork
    /// One conditioning entry as the network's inputs (ComfyUI's `extra_conds` and `encode_adm`).
    public let conditioning: @Sendable (ConditioningInputs, any DiffusionNetwork) throws -> NetworkConditioning

    public init(
        name: String, recognises: @escaping @Sendable (ModelArchitecture) -> Bool, detectionKeys: [String],
        latentFormat: LatentFormat,
        textEncoders: [TextEncoderKind],
        sampling: @escaping @Sendable (ModelArchitecture, ModelWeights) -> any ModelSampling,
        network: @escaping @Sendable (ModelArchitecture, ModelWeights) throws -> any DiffusionNetwork,
        conditioning: @escaping @Sendable (ConditioningInputs, any DiffusionNetwork) throws -> NetworkConditioning
    ) {
        self.name = name
        self.recognises = recognises
        self.detectionKeys = detectionKeys
        self.latentFormat = latentFormat
        self.textEncoders = textEncoders
        self.sampling = sampling
        self.network = network
        self.conditioning = conditioning
    }

    public var description: String { name }

    /// What the loaders looked for, family by family, for a file holding none of it.
    public static var detectionSummary: String {
        all.map { "\($0.name): \($0.detectionKeys.joined(separator: " + "))" }.joined(separator: "; ")
    }

    /// Every family Loom runs, most specific first.
    public static let all: [ModelFamily] = [.flux, .sdxl, .sdxlRefiner, .sd15, .lotus]

    /// The family of the first diffusion network among `models` (a file's detected models), with it.
    public static func diffusionModel(in models: [DetectedModel]) -> (family: ModelFamily, model: DetectedModel)? {
        for model in models {
            if let family = all.first(where: { $0.recognises(model.architecture) }) { return (family, model) }
        }
        return nil
    }

    /// The family's network, sampling and latent format for a detected model of `file`.
    /// `patches` (by full tensor name) are added to the weights as they are placed.
    public func load(_ model: DetectedModel, from file: ModelFile, context: VulkanContext,
                     linearWeightConversion: LinearWeightConversion? = nil,
                     patches: [String: [WeightPatch]] = [:]) throws -> LoadedDiffusionModel {
        let weights = ModelWeights(file: file, prefix: model.prefix, context: context,
                                   linearWeightConversion: linearWeightConversion, patches: patches)
        return LoadedDiffusionModel(
            family: self, architecture: model.architecture, network: try network(model.architecture, weights),
            sampling: sampling(model.architecture, weights))
    }
}

/// A network with its family's defaults, as a loader returns it.
public struct LoadedDiffusionModel: Sendable {
    public let family: ModelFamily
    public let architecture: ModelArchitecture
    public let network: any DiffusionNetwork
    public let sampling: any ModelSampling
}

/// The text encoders families use.
public enum TextEncoderKind: String, Sendable, Hashable {
    case clipL = "CLIP-L"
    case clipG = "CLIP-G"
    case t5xxl = "T5-XXL"
}

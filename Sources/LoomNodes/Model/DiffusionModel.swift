import LoomGraph
import LoomImaging
import LoomModelFiles
import LoomModels
import LoomSampling
import LoomVulkan

/// ComfyUI's MODEL: a loaded network of a family, with the settings patch nodes (ModelSampling*,
/// DifferentialDiffusion) put on it. Patching copies the value; the network is shared.
public struct DiffusionModel: Sendable {
    public var family: ModelFamily
    public var network: any DiffusionNetwork
    public var modelSampling: any ModelSampling
    /// The family's latent format (tests may run networks on others).
    public var latentFormat: LatentFormat
    /// DifferentialDiffusion's strength when that node patched the model: the noise mask becomes a
    /// per-step threshold instead of a fixed blend.
    public var differentialDiffusionStrength: Double?
    /// RescaleCFG's multiplier when that node patched the model.
    public var cfgRescaleMultiplier: Double?
    /// What the network was built from, so that LoRA nodes can build it again with more patches; nil
    /// for networks made in memory.
    public var source: DiffusionModelSource?

    public init(family: ModelFamily, network: any DiffusionNetwork, modelSampling: any ModelSampling,
                latentFormat: LatentFormat? = nil) {
        self.family = family
        self.network = network
        self.modelSampling = modelSampling
        self.latentFormat = latentFormat ?? family.latentFormat
    }

    public init(_ loaded: LoadedDiffusionModel) {
        self.init(family: loaded.family, network: loaded.network, modelSampling: loaded.sampling)
    }

    /// The network built again from its source with `patches` in place of the source's.
    /// A patch that widens Flux's `img_in` (BFL's control LoRAs) widens the network's input, as ComfyUI's
    /// Flux reads its input width from the patched weight.
    func rebuilt(with patches: [String: [WeightPatch]], context: VulkanContext) throws -> DiffusionModel {
        guard let source else { return self }
        var detected = source.model
        if case .flux(let parameters) = detected.architecture, let stored = source.file[detected.prefix + "img_in.weight"] {
            let inputs = WeightPatch.shape(of: stored.shape, patchedBy: patches[detected.prefix + "img_in.weight"] ?? [])
            if inputs.count == 2, inputs[1] != parameters.inChannels {
                detected = DetectedModel(prefix: detected.prefix, architecture: .flux(parameters.withInputChannels(inputs[1])))
            }
        }
        var model = self
        model.network = try family.load(detected, from: source.file, context: context,
                                        linearWeightConversion: source.linearWeightConversion, patches: patches).network
        model.source?.patches = patches
        return model
    }

    /// The model's family, or a node error naming the input and what was found.
    func requireFamily(_ expected: ModelFamily, node: String, input: String = "model") throws -> DiffusionModel {
        guard family.name == expected.name else {
            throw NodeError(node, "\(input): needs a \(expected.name) model, got a \(family.name) model")
        }
        return self
    }
}

/// The file and settings a diffusion network was loaded from, with the LoRA patches applied to it. The
/// file stays memory-mapped, so building the network again reads the page cache, not the disk.
public struct DiffusionModelSource: Sendable {
    public let file: ModelFile
    public let model: DetectedModel
    public let linearWeightConversion: LinearWeightConversion?
    /// By full tensor name, in the order the LoRAs were applied.
    public var patches: [String: [WeightPatch]]
}

import LoomGraph
import LoomImaging
import LoomModels
import LoomSampling

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

    /// The model's family, or a node error naming the input and what was found.
    func requireFamily(_ expected: ModelFamily, node: String, input: String = "model") throws -> DiffusionModel {
        guard family.name == expected.name else {
            throw NodeError(node, "\(input): needs a \(expected.name) model, got a \(family.name) model")
        }
        return self
    }
}

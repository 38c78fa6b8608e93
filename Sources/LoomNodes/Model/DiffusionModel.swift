import LoomModels
import LoomSampling

/// ComfyUI's MODEL: a loaded network with the settings patch nodes (ModelSamplingFlux,
/// DifferentialDiffusion) put on it. Patching copies the value; the network is shared.
public struct DiffusionModel: Sendable {
    public var network: any DiffusionNetwork
    public var modelSampling: any ModelSampling
    public var latentFormat: LatentFormat
    /// DifferentialDiffusion's strength when that node patched the model: the noise mask becomes a
    /// per-step threshold instead of a fixed blend.
    public var differentialDiffusionStrength: Double?

    public init(network: any DiffusionNetwork, modelSampling: any ModelSampling, latentFormat: LatentFormat) {
        self.network = network
        self.modelSampling = modelSampling
        self.latentFormat = latentFormat
    }
}

/// How VAE latents map into the model's space: `(latent − shift) · scale` in, the inverse out.
public struct LatentFormat: Sendable, Equatable {
    public var channels: Int
    public var scaleFactor: Float
    public var shiftFactor: Float

    /// Flux's AE latents.
    public static let flux = LatentFormat(channels: 16, scaleFactor: 0.3611, shiftFactor: 0.1159)

    public func processIn(_ values: [Float]) -> [Float] { values.map { ($0 - shiftFactor) * scaleFactor } }
    public func processOut(_ values: [Float]) -> [Float] { values.map { $0 / scaleFactor + shiftFactor } }
}

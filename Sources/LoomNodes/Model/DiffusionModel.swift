import LoomGraph
import LoomImaging
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
    /// A linear map from a model-space latent pixel to RGB in [-1, 1] (one row of 3 per channel), for
    /// cheap step previews without the VAE.
    public var rgbFactors: [[Float]]?

    public init(channels: Int, scaleFactor: Float, shiftFactor: Float, rgbFactors: [[Float]]? = nil) {
        self.channels = channels
        self.scaleFactor = scaleFactor
        self.shiftFactor = shiftFactor
        self.rgbFactors = rgbFactors
    }

    /// Flux's AE latents, with ComfyUI's preview factors for them.
    public static let flux = LatentFormat(
        channels: 16, scaleFactor: 0.3611, shiftFactor: 0.1159,
        rgbFactors: [
            [-0.0404, 0.0159, 0.0609], [0.0043, 0.0298, 0.0850], [0.0328, -0.0749, -0.0503], [-0.0245, 0.0085, 0.0549],
            [0.0966, 0.0894, 0.0530], [0.0035, 0.0399, 0.0123], [0.0583, 0.1184, 0.1262], [-0.0191, -0.0206, -0.0306],
            [-0.0324, 0.0055, 0.1001], [0.0955, 0.0659, -0.0545], [-0.0504, 0.0231, -0.0013], [0.0500, -0.0008, -0.0088],
            [0.0982, 0.0941, 0.0976], [-0.1233, -0.0280, -0.0897], [-0.0005, -0.0530, -0.0020], [-0.1273, -0.0932, -0.0680],
        ])

    /// The first item of a model-space latent batch ([batch, channels, height, width], flattened) as a
    /// preview: each pixel's channels mapped through `rgbFactors`, [-1, 1] scaled to bytes.
    public func preview(of values: [Float], height: Int, width: Int) -> ProgressPreview? {
        guard let rgbFactors, rgbFactors.count == channels, values.count >= channels * height * width else { return nil }
        let plane = height * width
        var rgb = [UInt8](repeating: 0, count: plane * 3)
        for pixel in 0..<plane {
            for component in 0..<3 {
                var sum: Float = 0
                for channel in 0..<channels { sum += values[channel * plane + pixel] * rgbFactors[channel][component] }
                rgb[pixel * 3 + component] = UInt8(truncatingUnit: (sum + 1) / 2)
            }
        }
        return ProgressPreview(width: width, height: height, rgb: rgb)
    }

    public func processIn(_ values: [Float]) -> [Float] { values.map { ($0 - shiftFactor) * scaleFactor } }
    public func processOut(_ values: [Float]) -> [Float] { values.map { $0 / scaleFactor + shiftFactor } }
}

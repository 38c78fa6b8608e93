/// How VAE latents map into a model's space: `(latent − shift) · scale` in, the inverse out
/// (ComfyUI's `latent_formats`).
public struct LatentFormat: Sendable, Equatable {
    public var channels: Int
    public var scaleFactor: Float
    public var shiftFactor: Float
    /// A linear map from a model-space latent pixel to RGB in [-1, 1] (one row of 3 per channel), for
    /// cheap step previews without the VAE.
    public var rgbFactors: [[Float]]?
    public var rgbBias: [Float]?

    public init(channels: Int, scaleFactor: Float, shiftFactor: Float = 0, rgbFactors: [[Float]]? = nil, rgbBias: [Float]? = nil) {
        self.channels = channels
        self.scaleFactor = scaleFactor
        self.shiftFactor = shiftFactor
        self.rgbFactors = rgbFactors
        self.rgbBias = rgbBias
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

    /// SD1.x and SD2.x: the 4-channel SD VAE.
    public static let sd15 = LatentFormat(
        channels: 4, scaleFactor: 0.18215,
        rgbFactors: [[0.3512, 0.2297, 0.3227], [0.3250, 0.4974, 0.2350], [-0.2829, 0.1762, 0.2721], [-0.2120, -0.2616, -0.7177]])

    /// SDXL: the same VAE layout with its own scale.
    public static let sdxl = LatentFormat(
        channels: 4, scaleFactor: 0.13025,
        rgbFactors: [[0.3651, 0.4232, 0.4341], [-0.2533, -0.0042, 0.1068], [0.1076, 0.1111, -0.0362], [-0.3165, -0.2492, -0.2188]],
        rgbBias: [0.1084, -0.0175, -0.0011])

    public func processIn(_ values: [Float]) -> [Float] { values.map { ($0 - shiftFactor) * scaleFactor } }
    public func processOut(_ values: [Float]) -> [Float] { values.map { $0 / scaleFactor + shiftFactor } }
}

import LoomImaging
import LoomModels

/// ComfyUI's VAE: a loaded autoencoder with ComfyUI's pixel conventions around it. Images in
/// [0, 1] go in as `2x − 1`; decoded pixels come out as `clamp((x + 1) / 2, 0, 1)`. Latents are the
/// AE's raw output; the model's latent format is applied by sampling, not here.
public struct VAE: Sendable {
    public var autoencoder: Autoencoder

    public init(autoencoder: Autoencoder) {
        self.autoencoder = autoencoder
    }

    public var downscaleFactor: Int { autoencoder.downscaleFactor }

    /// ComfyUI's `vae_encode_crop_pixels`: each side cut down to a multiple of the downscale factor,
    /// the cut shared between both ends (the odd pixel at the end).
    public func cropOrigin(height: Int, width: Int) -> (y: Int, x: Int, height: Int, width: Int) {
        let factor = downscaleFactor
        return ((height % factor) / 2, (width % factor) / 2, height / factor * factor, width / factor * factor)
    }

    /// `image` and `mask` (resized bilinearly to the image first) cut to the latent grid as `encode` cuts
    /// the image, as VAEEncodeForInpaint and InpaintModelConditioning prepare their masks.
    public func croppedToLatentGrid(_ image: Image, mask: Mask) -> (image: Image, mask: Mask) {
        let mask = mask.resized(width: image.width, height: image.height, method: .bilinear)
        let crop = cropOrigin(height: image.height, width: image.width)
        guard crop.height != image.height || crop.width != image.width else { return (image, mask) }
        return (image.cropped(x: crop.x, y: crop.y, width: crop.width, height: crop.height),
                mask.cropped(x: crop.x, y: crop.y, width: crop.width, height: crop.height))
    }

    /// Latents for the RGB channels of `image` (cropped to the latent grid), [B, Z, H/8, W/8].
    public func encode(_ image: Image, tiling: AutoencoderTiling = .automatic,
                       progress: (Int, Int) throws -> Void = { _, _ in }) throws -> HostTensor {
        let crop = cropOrigin(height: image.height, width: image.width)
        let channels = autoencoder.imageChannels
        let plane = crop.height * crop.width
        var values = [Float](repeating: 0, count: image.batchCount * channels * plane)
        for item in 0..<image.batchCount {
            for y in 0..<crop.height {
                for x in 0..<crop.width {
                    let pixel = ((item * image.height + crop.y + y) * image.width + crop.x + x) * image.channels
                    for channel in 0..<min(channels, image.channels) {
                        values[(item * channels + channel) * plane + y * crop.width + x] = image.pixels[pixel + channel] * 2 - 1
                    }
                }
            }
        }
        let input = HostTensor(shape: [image.batchCount, channels, crop.height, crop.width], values: values)
        return try autoencoder.encode(input, tiling: tiling, progress: progress)
    }

    /// RGB images in [0, 1] for latents [B, Z, h, w].
    public func decode(_ latent: HostTensor, tiling: AutoencoderTiling = .automatic,
                       progress: (Int, Int) throws -> Void = { _, _ in }) throws -> Image {
        let decoded = try autoencoder.decode(latent, tiling: tiling, progress: progress)
        let (batch, channels, height, width) = (decoded.shape[0], decoded.shape[1], decoded.shape[2], decoded.shape[3])
        let plane = height * width
        var pixels = [Float](repeating: 0, count: decoded.count)
        for item in 0..<batch {
            for channel in 0..<channels {
                for index in 0..<plane {
                    let value = decoded.values[(item * channels + channel) * plane + index]
                    pixels[(item * plane + index) * channels + channel] = min(max((value + 1) / 2, 0), 1)
                }
            }
        }
        return Image(batchCount: batch, height: height, width: width, channels: channels, pixels: pixels)
    }
}

/// The extra input channels of Flux Fill (ComfyUI's `Flux.concat_cond`): the masked image's latent in
/// model space, then the mask at pixel resolution folded into 64 channels of 8×8 blocks.
struct FluxFillInput {
    let latentFormat: LatentFormat
    /// [batch, channels, height, width] of the latent being sampled.
    let noiseShape: [Int]

    func concatenation(image: HostTensor?, mask: HostTensor?, expectedChannels: Int) throws -> HostTensor {
        let (batch, channels, height, width) = (noiseShape[0], noiseShape[1], noiseShape[2], noiseShape[3])
        // Without InpaintModelConditioning the image part is a zero latent, which still goes through
        // the latent format (so it is not zero in model space).
        if let image, image.rank != 4 || image.count == 0 {
            throw ConditioningError("the inpainting image latent has shape \(image.shape); expected [batch, channels, height, width]")
        }
        let latent = (image ?? HostTensor(zeros: noiseShape))
            .resizedPlanes(height: height, width: width, method: .bilinear, centerCrop: true)
            .resizedToBatch(batch)
        guard latent.shape[1] == channels else {
            throw ConditioningError("the inpainting image latent has \(latent.shape[1]) channels, the model samples \(channels)")
        }
        let imagePart = HostTensor(shape: latent.shape, values: latentFormat.processIn(latent.values))
        if expectedChannels == channels { return imagePart }

        var pixelMask = (mask ?? HostTensor(shape: [batch, 1, height, width], values: .init(repeating: 1, count: batch * height * width)))
        if pixelMask.rank == 3 { pixelMask = HostTensor(shape: [pixelMask.shape[0], 1] + pixelMask.shape.dropFirst(), values: pixelMask.values) }
        guard pixelMask.rank == 4, pixelMask.count > 0 else {
            throw ConditioningError("the inpainting mask has shape \(pixelMask.shape); expected [batch, 1, height, width]")
        }
        pixelMask = pixelMask.channelMean()
            .resizedPlanes(height: height * 8, width: width * 8, method: .bilinear, centerCrop: true)
        let folded = Self.spaceToDepth(pixelMask, block: 8).resizedToBatch(batch)
        let combined = HostTensor.concatenatingChannels([imagePart, folded])
        guard combined.shape[1] == expectedChannels else {
            throw ConditioningError("built \(combined.shape[1]) inpainting channels, the model expects \(expectedChannels)")
        }
        return combined
    }

    /// [B, 1, H·k, W·k] → [B, k·k, H, W], channel `dy·k + dx` holding pixel (y·k + dy, x·k + dx).
    static func spaceToDepth(_ mask: HostTensor, block k: Int) -> HostTensor {
        let (batch, fullHeight, fullWidth) = (mask.shape[0], mask.shape[2], mask.shape[3])
        let (height, width) = (fullHeight / k, fullWidth / k)
        var output = [Float](repeating: 0, count: batch * k * k * height * width)
        for b in 0..<batch {
            for y in 0..<fullHeight {
                for x in 0..<fullWidth {
                    let channel = (y % k) * k + (x % k)
                    output[((b * k * k + channel) * height + y / k) * width + x / k] = mask.values[(b * fullHeight + y) * fullWidth + x]
                }
            }
        }
        return HostTensor(shape: [batch, k * k, height, width], values: output)
    }
}

extension Image {
    /// A decoded file as a batch of one RGB image, as PIL's `convert("RGB")` gives ComfyUI:
    /// grey is repeated into three channels and alpha is dropped.
    ///
    /// 16-bit samples keep their precision (v / 65535); PIL would cut them to 8 bits first.
    public init(rgbOf raster: RasterImage) {
        let maximum = Float(raster.bitDepth == 16 ? 65535 : 255)
        let colourChannels = raster.channels >= 3 ? 3 : 1
        var pixels = [Float]()
        pixels.reserveCapacity(raster.width * raster.height * 3)
        for pixel in 0..<(raster.width * raster.height) {
            let base = pixel * raster.channels
            for channel in 0..<3 {
                pixels.append(Float(raster.samples[base + (colourChannels == 3 ? channel : 0)]) / maximum)
            }
        }
        self.init(batchCount: 1, height: raster.height, width: raster.width, channels: 3, pixels: pixels)
    }
}

extension Mask {
    /// 1 − alpha of a decoded file, as ComfyUI's LoadImage makes its mask; nil when it has no alpha.
    public init?(inverseAlphaOf raster: RasterImage) {
        guard raster.hasAlpha else { return nil }
        let maximum = Float(raster.bitDepth == 16 ? 65535 : 255)
        let values = (0..<(raster.width * raster.height)).map { pixel in
            1 - Float(raster.samples[pixel * raster.channels + raster.channels - 1]) / maximum
        }
        self.init(batchCount: 1, height: raster.height, width: raster.width, values: values)
    }
}

extension RasterImage {
    /// One image of a batch as 8-bit samples the way ComfyUI saves it: clip(255·x, 0, 255) truncated.
    public init(frame batch: Int, of image: Image, textChunks: [PNGTextChunk] = []) {
        precondition((1...4).contains(image.channels), "PNG holds 1 to 4 channels")
        let start = batch * image.frameSize
        let samples = image.pixels[start..<start + image.frameSize].map { UInt16(UInt8(truncatingUnit: $0)) }
        self.init(
            width: image.width, height: image.height, channels: image.channels, bitDepth: 8, samples: samples,
            textChunks: textChunks)
    }
}

/// One image as 8-bit samples, rows of interleaved channels: what the ControlNet annotators work on
/// (a NumPy `uint8` array [height, width, channels] in the comfyui_controlnet_aux pack).
public struct ByteImage: Sendable, Equatable {
    public var height: Int
    public var width: Int
    public var channels: Int
    public var samples: [UInt8]

    public init(height: Int, width: Int, channels: Int, samples: [UInt8]) {
        precondition(height >= 0 && width >= 0 && channels > 0, "invalid image shape")
        precondition(samples.count == height * width * channels, "sample count does not match the shape")
        self.height = height
        self.width = width
        self.channels = channels
        self.samples = samples
    }

    /// An image filled with one value (black for 0).
    public init(height: Int, width: Int, channels: Int, repeating value: UInt8 = 0) {
        self.init(height: height, width: width, channels: channels,
                  samples: [UInt8](repeating: value, count: height * width * channels))
    }

    /// One image of a ComfyUI IMAGE batch as the pack converts it: `np.asarray(image * 255., dtype=np.uint8)`,
    /// which truncates; values outside 0...1 are clipped first (NumPy's cast would wrap them).
    public init(frame batch: Int, of image: Image) {
        let start = batch * image.frameSize
        self.init(height: image.height, width: image.width, channels: image.channels,
                  samples: image.pixels[start..<start + image.frameSize].map { UInt8(truncatingUnit: $0) })
    }

    public subscript(y: Int, x: Int, channel: Int) -> UInt8 {
        get { samples[(y * width + x) * channels + channel] }
        set { samples[(y * width + x) * channels + channel] = newValue }
    }

    /// The rows `0..<height` and columns `0..<width` (NumPy's `x[:height, :width]`).
    public func cropped(y: Int = 0, x: Int = 0, height newHeight: Int, width newWidth: Int) -> ByteImage {
        precondition(y >= 0 && x >= 0 && y + newHeight <= height && x + newWidth <= width, "crop outside the image")
        var cropped = [UInt8]()
        cropped.reserveCapacity(newHeight * newWidth * channels)
        for row in y..<(y + newHeight) {
            let start = (row * width + x) * channels
            cropped.append(contentsOf: samples[start..<start + newWidth * channels])
        }
        return ByteImage(height: newHeight, width: newWidth, channels: channels, samples: cropped)
    }

    /// Rows and columns added after the last ones, copies of the edge (`np.pad(..., mode='edge')`).
    public func paddedWithEdge(bottom: Int, right: Int) -> ByteImage {
        paddedAfter(bottom: bottom, right: right) { image, y, x, channel in
            image[Swift.min(y, image.height - 1), Swift.min(x, image.width - 1), channel]
        }
    }

    /// Rows and columns added after the last ones, all `value`.
    public func padded(bottom: Int, right: Int, value: UInt8) -> ByteImage {
        paddedAfter(bottom: bottom, right: right) { _, _, _, _ in value }
    }

    private func paddedAfter(bottom: Int, right: Int, _ sample: (ByteImage, Int, Int, Int) -> UInt8) -> ByteImage {
        if bottom == 0 && right == 0 { return self }
        let newHeight = height + bottom, newWidth = width + right
        var result = ByteImage(height: newHeight, width: newWidth, channels: channels)
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                for channel in 0..<channels {
                    result[y, x, channel] = y < height && x < width ? self[y, x, channel] : sample(self, y, x, channel)
                }
            }
        }
        return result
    }

    /// The channels in reverse order (RGB ↔ BGR, `x[:, :, ::-1]`).
    public func reversingChannels() -> ByteImage {
        var result = self
        for pixel in 0..<(height * width) {
            for channel in 0..<channels {
                result.samples[pixel * channels + channel] = samples[pixel * channels + channels - 1 - channel]
            }
        }
        return result
    }

    /// Samples as floats 0...1 in a batch of one (the pack's `np_result.astype(np.float32) / 255.0`).
    public var unitImage: Image {
        Image(batchCount: 1, height: height, width: width, channels: channels, pixels: samples.map { Float($0) / 255 })
    }
}

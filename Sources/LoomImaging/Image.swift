/// A batch of images as ComfyUI's IMAGE: shape [batch, height, width, channels], float samples
/// nominally in 0...1, channels interleaved (3 for RGB, 4 for RGBA).
///
/// Values outside 0...1 are kept: bicubic resampling overshoots, and ComfyUI clips only when saving.
public struct Image: Sendable, Equatable {
    public private(set) var batchCount: Int
    public private(set) var height: Int
    public private(set) var width: Int
    public private(set) var channels: Int
    /// Row-major samples, `batchCount * height * width * channels` of them.
    public private(set) var pixels: [Float]

    public init(batchCount: Int, height: Int, width: Int, channels: Int, pixels: [Float]) {
        precondition(batchCount >= 0 && height >= 0 && width >= 0 && channels > 0, "invalid image shape")
        precondition(pixels.count == batchCount * height * width * channels, "pixel count does not match the shape")
        self.batchCount = batchCount
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
    }

    public init(batchCount: Int = 1, height: Int, width: Int, channels: Int = 3, repeating value: Float) {
        self.init(
            batchCount: batchCount, height: height, width: width, channels: channels,
            pixels: Array(repeating: value, count: batchCount * height * width * channels))
    }

    /// Samples in one image of the batch.
    public var frameSize: Int { height * width * channels }

    public func index(batch: Int, y: Int, x: Int, channel: Int) -> Int {
        ((batch * height + y) * width + x) * channels + channel
    }

    public subscript(batch: Int, y: Int, x: Int, channel: Int) -> Float {
        get { pixels[index(batch: batch, y: y, x: x, channel: channel)] }
        set { pixels[index(batch: batch, y: y, x: x, channel: channel)] = newValue }
    }

    /// Gives `body` the samples to change in place; their count is fixed by the shape.
    public mutating func withMutablePixels<Result>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> Result)
        rethrows -> Result
    {
        try pixels.withUnsafeMutableBufferPointer { try body(&$0) }
    }

    /// One image of the batch, as a batch of one.
    public func frame(_ batch: Int) -> Image {
        let start = batch * frameSize
        return Image(
            batchCount: 1, height: height, width: width, channels: channels,
            pixels: Array(pixels[start..<start + frameSize]))
    }

    /// Images of equal shape stacked into one batch (`torch.cat` on dimension 0).
    public static func concatenating(_ images: [Image]) -> Image {
        guard let first = images.first else { preconditionFailure("nothing to concatenate") }
        precondition(
            images.allSatisfy { $0.height == first.height && $0.width == first.width && $0.channels == first.channels },
            "concatenated images must share height, width and channels")
        return Image(
            batchCount: images.reduce(0) { $0 + $1.batchCount }, height: first.height, width: first.width,
            channels: first.channels, pixels: images.flatMap(\.pixels))
    }

    /// The batch repeated or cut to `count` images (ComfyUI's `repeat_to_batch_size`).
    public func repeated(toBatchCount count: Int) -> Image {
        guard count != batchCount, batchCount > 0 else { return self }
        var result = [Float]()
        result.reserveCapacity(count * frameSize)
        for index in 0..<count {
            let start = (index % batchCount) * frameSize
            result.append(contentsOf: pixels[start..<start + frameSize])
        }
        return Image(batchCount: count, height: height, width: width, channels: channels, pixels: result)
    }

    /// The same images with `transform` applied to every sample.
    public func mapSamples(_ transform: (Float) -> Float) -> Image {
        Image(batchCount: batchCount, height: height, width: width, channels: channels, pixels: pixels.map(transform))
    }

    /// The rectangle `x..<x+width, y..<y+height` of every image, clipped to the image.
    public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) -> Image {
        let x0 = min(max(x, 0), width), y0 = min(max(y, 0), height)
        let x1 = min(max(x0 + cropWidth, x0), width), y1 = min(max(y0 + cropHeight, y0), height)
        var result = [Float]()
        result.reserveCapacity(batchCount * (y1 - y0) * (x1 - x0) * channels)
        for batch in 0..<batchCount {
            for row in y0..<y1 {
                let start = index(batch: batch, y: row, x: x0, channel: 0)
                result.append(contentsOf: pixels[start..<start + (x1 - x0) * channels])
            }
        }
        return Image(batchCount: batchCount, height: y1 - y0, width: x1 - x0, channels: channels, pixels: result)
    }

    /// The first `count` channels, or the channels padded with `fill` up to `count`.
    public func withChannels(_ count: Int, fill: Float = 1) -> Image {
        guard count != channels else { return self }
        var result = [Float](repeating: fill, count: batchCount * height * width * count)
        let kept = min(count, channels)
        for pixel in 0..<(batchCount * height * width) {
            for channel in 0..<kept {
                result[pixel * count + channel] = pixels[pixel * channels + channel]
            }
        }
        return Image(batchCount: batchCount, height: height, width: width, channels: count, pixels: result)
    }
}

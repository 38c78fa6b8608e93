/// A batch of masks as ComfyUI's MASK: shape [batch, height, width], float values where 1 means masked.
public struct Mask: Sendable, Equatable {
    public private(set) var batchCount: Int
    public private(set) var height: Int
    public private(set) var width: Int
    /// Row-major values, `batchCount * height * width` of them.
    public private(set) var values: [Float]

    public init(batchCount: Int, height: Int, width: Int, values: [Float]) {
        precondition(batchCount >= 0 && height >= 0 && width >= 0, "invalid mask shape")
        precondition(values.count == batchCount * height * width, "value count does not match the shape")
        self.batchCount = batchCount
        self.height = height
        self.width = width
        self.values = values
    }

    public init(batchCount: Int = 1, height: Int, width: Int, repeating value: Float) {
        self.init(
            batchCount: batchCount, height: height, width: width,
            values: Array(repeating: value, count: batchCount * height * width))
    }

    /// One channel of every image (`image[..., channel]`).
    public init(channel: Int, of image: Image) {
        precondition(channel < image.channels, "the image has no channel \(channel)")
        let count = image.batchCount * image.height * image.width
        self.init(
            batchCount: image.batchCount, height: image.height, width: image.width,
            values: (0..<count).map { image.pixels[$0 * image.channels + channel] })
    }

    /// Values in one mask of the batch.
    public var frameSize: Int { height * width }

    public subscript(batch: Int, y: Int, x: Int) -> Float {
        get { values[(batch * height + y) * width + x] }
        set { values[(batch * height + y) * width + x] = newValue }
    }

    /// Gives `body` the values to change in place; their count is fixed by the shape.
    public mutating func withMutableValues<Result>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> Result)
        rethrows -> Result
    {
        try values.withUnsafeMutableBufferPointer { try body(&$0) }
    }

    /// One mask of the batch, as a batch of one.
    public func frame(_ batch: Int) -> Mask {
        let start = batch * frameSize
        return Mask(batchCount: 1, height: height, width: width, values: Array(values[start..<start + frameSize]))
    }

    /// The batch repeated or cut to `count` masks (ComfyUI's `repeat_to_batch_size`).
    public func repeated(toBatchCount count: Int) -> Mask {
        guard count != batchCount, batchCount > 0 else { return self }
        var result = [Float]()
        result.reserveCapacity(count * frameSize)
        for index in 0..<count {
            let start = (index % batchCount) * frameSize
            result.append(contentsOf: values[start..<start + frameSize])
        }
        return Mask(batchCount: count, height: height, width: width, values: result)
    }

    public func mapValues(_ transform: (Float) -> Float) -> Mask {
        Mask(batchCount: batchCount, height: height, width: width, values: values.map(transform))
    }

    /// The mask as a grey image with `channels` equal channels (ComfyUI's MaskToImage uses 3).
    public func image(channels: Int = 3) -> Image {
        var pixels = [Float]()
        pixels.reserveCapacity(values.count * channels)
        for value in values {
            for _ in 0..<channels { pixels.append(value) }
        }
        return Image(batchCount: batchCount, height: height, width: width, channels: channels, pixels: pixels)
    }
}

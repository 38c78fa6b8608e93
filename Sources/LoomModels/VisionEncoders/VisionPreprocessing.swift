import LoomImaging

/// ComfyUI's `clip_preprocess`: alpha dropped; unless the image already has the model's size, the short side
/// scaled to it (both sides without `crop`) with PyTorch's antialiased bicubic and the centre cut out; samples
/// rounded to 8 bits, then normalised by the model's mean and deviation per channel.
public struct VisionPreprocessing: Sendable, Hashable {
    public let size: Int
    public let mean: [Float]
    public let standardDeviation: [Float]

    public init(size: Int, mean: [Float], standardDeviation: [Float]) {
        self.size = size
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// OpenAI CLIP's statistics, ComfyUI's default.
    public static func clip(size: Int) -> VisionPreprocessing {
        VisionPreprocessing(size: size, mean: [0.48145466, 0.4578275, 0.40821073], standardDeviation: [0.26862954, 0.26130258, 0.27577711])
    }

    public static func siglip(size: Int) -> VisionPreprocessing {
        VisionPreprocessing(size: size, mean: [0.5, 0.5, 0.5], standardDeviation: [0.5, 0.5, 0.5])
    }

    /// The most pixels the short-side resize may produce (ComfyUI resizes first, then crops).
    static let largestResize = 1 << 26

    /// The model's input, [B, 3, size, size].
    public func pixelValues(_ image: Image, crop: Bool) throws -> HostTensor {
        guard image.channels >= 3, image.batchCount > 0, image.width > 0, image.height > 0 else {
            throw VisionEncoderError.invalidImage("a vision model takes a non-empty RGB or RGBA image, got \(image.batchCount) × \(image.height) × \(image.width) with \(image.channels) channel(s)")
        }
        var rgb = image.channels > 3 ? image.withChannels(3) : image
        if rgb.height != size || rgb.width != size {
            var (height, width) = (size, size)
            if crop {
                // Python's round (half to even) of the scaled sides, in double precision.
                let scale = Double(size) / Double(min(rgb.height, rgb.width))
                height = Int((scale * Double(rgb.height)).rounded(.toNearestOrEven))
                width = Int((scale * Double(rgb.width)).rounded(.toNearestOrEven))
                // A sliver (1 × 16384, say) would be resized to millions of pixels before the crop.
                guard height * width <= Self.largestResize else {
                    throw VisionEncoderError.invalidImage(
                        "a \(rgb.width) × \(rgb.height) image would be resized to \(width) × \(height) before the centre crop; "
                            + "its sides may differ by at most a factor of \(Self.largestResize / (size * size))")
                }
            }
            rgb = rgb.resized(width: width, height: height, method: .bicubicAntialiased)
            rgb = rgb.cropped(x: (width - size) / 2, y: (height - size) / 2, width: size, height: size)
        }
        let plane = size * size
        var values = [Float](repeating: 0, count: rgb.batchCount * 3 * plane)
        for item in 0..<rgb.batchCount {
            for y in 0..<size {
                for x in 0..<size {
                    for channel in 0..<3 {
                        let sample = min(max(255 * rgb[item, y, x, channel], 0), 255).rounded(.toNearestOrEven) / 255
                        values[(item * 3 + channel) * plane + y * size + x] = (sample - mean[channel]) / standardDeviation[channel]
                    }
                }
            }
        }
        return HostTensor(shape: [rgb.batchCount, 3, size, size], values: values)
    }
}

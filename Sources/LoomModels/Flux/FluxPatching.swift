/// How a latent becomes 2×2 patch tokens and back. ComfyUI pads odd heights and widths
/// circularly (`pad_to_patch_size`: the extra row and column repeat the first ones) and crops
/// the result back; packing itself (`b c (h 2) (w 2) → b (h w) (c 2 2)`) runs on the device.
enum FluxPatching {
    static let patchSize = 2

    /// Patch-grid rows and columns for a latent of `height` × `width` (rounded up).
    static func grid(height: Int, width: Int) -> (rows: Int, columns: Int) {
        ((height + patchSize - 1) / patchSize, (width + patchSize - 1) / patchSize)
    }

    /// `x` [B, C, H, W] and `concat` [B, C', H, W] joined along channels and padded circularly to
    /// even H and W.
    static func paddedInput(_ x: HostTensor, concat: HostTensor?) -> HostTensor {
        let (batch, height, width) = (x.shape[0], x.shape[2], x.shape[3])
        let parts = [x] + (concat.map { [$0] } ?? [])
        let channels = parts.reduce(0) { $0 + $1.shape[1] }
        let (rows, columns) = grid(height: height, width: width)
        let (paddedHeight, paddedWidth) = (rows * patchSize, columns * patchSize)
        var values = [Float](repeating: 0, count: batch * channels * paddedHeight * paddedWidth)
        var plane = 0
        for b in 0..<batch {
            for part in parts {
                let partChannels = part.shape[1]
                for c in 0..<partChannels {
                    let source = (b * partChannels + c) * height * width
                    let destination = plane * paddedHeight * paddedWidth
                    for y in 0..<paddedHeight {
                        for x in 0..<paddedWidth {
                            values[destination + y * paddedWidth + x] = part.values[source + (y % height) * width + (x % width)]
                        }
                    }
                    plane += 1
                }
            }
        }
        return HostTensor(shape: [batch, channels, paddedHeight, paddedWidth], values: values)
    }

    /// The top-left `height` × `width` of every plane of `values` ([B, C, H', W'] row-major).
    static func cropped(_ values: [Float], shape: [Int], height: Int, width: Int) -> HostTensor {
        let (planes, paddedHeight, paddedWidth) = (shape[0] * shape[1], shape[2], shape[3])
        if paddedHeight == height && paddedWidth == width { return HostTensor(shape: shape, values: values) }
        var result: [Float] = []
        result.reserveCapacity(planes * height * width)
        for plane in 0..<planes {
            for y in 0..<height {
                let start = (plane * paddedHeight + y) * paddedWidth
                result += values[start..<(start + width)]
            }
        }
        return HostTensor(shape: [shape[0], shape[1], height, width], values: result)
    }
}

extension Image {
    /// ComfyUI's ImageCompositeMasked: `source` blended over this image with its top-left corner at
    /// (`x`, `y`), weighted by `mask` (bilinearly resized to the source) or fully where there is no mask.
    ///
    /// Channel counts are reconciled first: extra source channels are dropped, and an RGB source on an
    /// RGBA destination gets opaque alpha (ComfyUI fails on that combination).
    public func compositing(source: Image, x: Int, y: Int, mask: Mask? = nil, resizeSource: Bool = false) -> Image {
        var source = source.withChannels(channels, fill: 1)
        if resizeSource {
            source = source.resized(width: width, height: height, method: .bilinear)
        }
        source = source.repeated(toBatchCount: batchCount)
        let weights = mask.map {
            $0.resized(width: source.width, height: source.height, method: .bilinear).repeated(toBatchCount: batchCount)
        }
        let left = min(max(x, 0), width), top = min(max(y, 0), height)
        let visibleWidth = min(source.width, width - left), visibleHeight = min(source.height, height - top)
        var result = self
        result.withMutablePixels { target in
            for batch in 0..<batchCount {
                for row in 0..<visibleHeight {
                    for column in 0..<visibleWidth {
                        let weight = weights?[batch, row, column] ?? 1
                        for channel in 0..<channels {
                            let index = index(batch: batch, y: top + row, x: left + column, channel: channel)
                            target[index] =
                                weight * source[batch, row, column, channel] + (1 - weight) * target[index]
                        }
                    }
                }
            }
        }
        return result
    }
}

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
        let channels = channels, width = width, height = height, sourceWidth = source.width
        let weightCount = source.width * source.height
        result.withMutablePixels { targetBuffer in
            source.pixels.withUnsafeBufferPointer { sourceBuffer in
                // Without a mask every weight is 1; one row of ones stands in for it.
                let ones = [Float](repeating: 1, count: max(visibleWidth, 1))
                (weights?.values ?? ones).withUnsafeBufferPointer { weightBuffer in
                    let target = SharedPointer(targetBuffer), source = SharedSource(sourceBuffer)
                    let weightBase = SharedSource(weightBuffer), masked = weights != nil
                    ParallelRows.forEach(batchCount * visibleHeight, samplesPerRow: visibleWidth * channels) { range in
                        for line in range {
                            let (batch, row) = line.quotientAndRemainder(dividingBy: visibleHeight)
                            let out = target.base + ((batch * height + top + row) * width + left) * channels
                            let from = source.base + (batch * weightCount + row * sourceWidth) * channels
                            let rowWeights = masked ? weightBase.base + batch * weightCount + row * sourceWidth : weightBase.base
                            for column in 0..<visibleWidth {
                                let weight = rowWeights[column]
                                for channel in 0..<channels {
                                    let index = column * channels + channel
                                    out[index] = weight * from[index] + (1 - weight) * out[index]
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}

/// Resizes interleaved float samples (`batch` images of height × width × channels) the way ComfyUI does.
enum Resampler {
    static func resample(
        _ samples: [Float], batch: Int, height: Int, width: Int, channels: Int,
        toHeight newHeight: Int, toWidth newWidth: Int, method: ResamplingMethod
    ) -> [Float] {
        precondition(newHeight >= 0 && newWidth >= 0, "resampling needs a valid target size")
        // An empty source (a crop outside the image) has nothing to sample; it resamples to zeros.
        guard height > 0 && width > 0 && newHeight > 0 && newWidth > 0 else {
            return [Float](repeating: 0, count: batch * newHeight * newWidth * channels)
        }
        if method == .lanczos {
            return LanczosResampler.resample(
                samples, batch: batch, height: height, width: width, channels: channels,
                toHeight: newHeight, toWidth: newWidth)
        }
        // PyTorch copies when the size is unchanged; every filter here is the identity then anyway.
        if newHeight == height && newWidth == width { return samples }
        let horizontal = taps(method, from: width, to: newWidth)
        let vertical = taps(method, from: height, to: newHeight)

        var rows = [Float](repeating: 0, count: batch * height * newWidth * channels)
        samples.withUnsafeBufferPointer { source in
            rows.withUnsafeMutableBufferPointer { target in
                for line in 0..<(batch * height) {
                    let sourceRow = line * width * channels
                    let targetRow = line * newWidth * channels
                    for x in 0..<newWidth {
                        for tap in horizontal.range(of: x) {
                            let from = sourceRow + horizontal.indices[tap] * channels
                            let weight = horizontal.weights[tap]
                            for channel in 0..<channels {
                                target[targetRow + x * channels + channel] += source[from + channel] * weight
                            }
                        }
                    }
                }
            }
        }

        let rowLength = newWidth * channels
        var result = [Float](repeating: 0, count: batch * newHeight * rowLength)
        rows.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                for image in 0..<batch {
                    for y in 0..<newHeight {
                        let targetRow = (image * newHeight + y) * rowLength
                        for tap in vertical.range(of: y) {
                            let sourceRow = (image * height + vertical.indices[tap]) * rowLength
                            let weight = vertical.weights[tap]
                            for offset in 0..<rowLength {
                                target[targetRow + offset] += source[sourceRow + offset] * weight
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    private static func taps(_ method: ResamplingMethod, from input: Int, to output: Int) -> InterpolationTaps {
        switch method {
        case .nearest: .nearest(from: input, to: output)
        case .nearestExact: .nearestExact(from: input, to: output)
        case .bilinear: .bilinear(from: input, to: output)
        case .bicubic: .bicubic(from: input, to: output)
        case .area: .area(from: input, to: output)
        case .bicubicAntialiased: .antialiasedBicubic(from: input, to: output)
        case .lanczos: preconditionFailure("lanczos resamples 8-bit pixels separately")
        }
    }
}

extension Image {
    /// The batch resized to `width` × `height` with `method`.
    public func resized(width newWidth: Int, height newHeight: Int, method: ResamplingMethod) -> Image {
        Image(
            batchCount: batchCount, height: newHeight, width: newWidth, channels: channels,
            pixels: Resampler.resample(
                pixels, batch: batchCount, height: height, width: width, channels: channels,
                toHeight: newHeight, toWidth: newWidth, method: method))
    }
}

extension Mask {
    /// The masks resized to `width` × `height` with `method`.
    public func resized(width newWidth: Int, height newHeight: Int, method: ResamplingMethod) -> Mask {
        Mask(
            batchCount: batchCount, height: newHeight, width: newWidth,
            values: Resampler.resample(
                values, batch: batchCount, height: height, width: width, channels: 1,
                toHeight: newHeight, toWidth: newWidth, method: method))
    }
}

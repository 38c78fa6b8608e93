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
        let rows = horizontalPass(
            samples, lines: batch * height, width: width, channels: channels, toWidth: newWidth, taps: horizontal)
        return verticalPass(
            rows, batch: batch, height: height, rowLength: newWidth * channels, toHeight: newHeight, taps: vertical)
    }

    /// Each output sample is 0 plus every tap's sample × weight in tap order, the sum PyTorch's
    /// separable kernels form; lines are independent and run in parallel.
    private static func horizontalPass(
        _ samples: [Float], lines: Int, width: Int, channels: Int, toWidth newWidth: Int, taps: InterpolationTaps
    ) -> [Float] {
        var result = [Float](repeating: 0, count: lines * newWidth * channels)
        samples.withUnsafeBufferPointer { sourceBuffer in
            result.withUnsafeMutableBufferPointer { targetBuffer in
                taps.withFlatTables { starts, indices, weights in
                    let source = SharedSource(sourceBuffer), target = SharedPointer(targetBuffer)
                    ParallelRows.forEach(lines, samplesPerRow: newWidth * channels * 4) { range in
                        for line in range {
                            let sourceRow = source.base + line * width * channels
                            let targetRow = target.base + line * newWidth * channels
                            for x in 0..<newWidth {
                                let out = targetRow + x * channels
                                if channels == 3 {
                                    var (red, green, blue): (Float, Float, Float) = (0, 0, 0)
                                    for tap in starts.base[x]..<starts.base[x + 1] {
                                        let from = sourceRow + indices.base[tap] * 3
                                        let weight = weights.base[tap]
                                        red += from[0] * weight
                                        green += from[1] * weight
                                        blue += from[2] * weight
                                    }
                                    (out[0], out[1], out[2]) = (red, green, blue)
                                } else {
                                    for tap in starts.base[x]..<starts.base[x + 1] {
                                        let from = sourceRow + indices.base[tap] * channels
                                        let weight = weights.base[tap]
                                        for channel in 0..<channels { out[channel] += from[channel] * weight }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Whole rows weighted and summed tap by tap, which the compiler vectorises along the row.
    private static func verticalPass(
        _ rows: [Float], batch: Int, height: Int, rowLength: Int, toHeight newHeight: Int, taps: InterpolationTaps
    ) -> [Float] {
        var result = [Float](repeating: 0, count: batch * newHeight * rowLength)
        rows.withUnsafeBufferPointer { sourceBuffer in
            result.withUnsafeMutableBufferPointer { targetBuffer in
                taps.withFlatTables { starts, indices, weights in
                    let source = SharedSource(sourceBuffer), target = SharedPointer(targetBuffer)
                    ParallelRows.forEach(batch * newHeight, samplesPerRow: rowLength * 4) { range in
                        for line in range {
                            let (image, y) = line.quotientAndRemainder(dividingBy: newHeight)
                            let targetRow = target.base + line * rowLength
                            for tap in starts.base[y]..<starts.base[y + 1] {
                                let sourceRow = source.base + (image * height + indices.base[tap]) * rowLength
                                let weight = weights.base[tap]
                                for offset in 0..<rowLength { targetRow[offset] += sourceRow[offset] * weight }
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

import Foundation

/// PIL's `Image.resize(..., LANCZOS)` on 8-bit pixels, which is what ComfyUI's "lanczos" runs:
/// samples are truncated to 8 bits, each pass rounds back to 8 bits with PIL's fixed-point
/// coefficients, and images with alpha are resized premultiplied.
enum LanczosResampler {
    /// PIL's fixed-point precision for 8-bit resampling.
    private static let precisionBits = 32 - 8 - 2
    private static let support = 3.0

    static func resample(
        _ samples: [Float], batch: Int, height: Int, width: Int, channels: Int,
        toHeight newHeight: Int, toWidth newWidth: Int
    ) -> [Float] {
        // PIL returns an unchanged copy when the size is unchanged, skipping premultiplication: only
        // the 8-bit truncation remains, done in one pass.
        guard newWidth != width || newHeight != height else { return truncatedTo8Bits(samples) }
        var bytes = truncatedToBytes(samples)
        let hasAlpha = channels == 2 || channels == 4
        if hasAlpha { premultiply(&bytes, channels: channels) }
        // Each pass rounds to 8 bits, so the order matters. Pillow (since 11) runs the vertical pass
        // first when the height shrinks by more than twice what the width shrinks by.
        let shrink = (height: height - newHeight, width: width - newWidth)
        if shrink.height > 0 && shrink.height > shrink.width * 2 {
            bytes = verticalPass(bytes, batch: batch, height: height, rowLength: width * channels, to: newHeight)
            if newWidth != width {
                bytes = horizontalPass(
                    bytes, lines: batch * newHeight, width: width, channels: channels, to: newWidth)
            }
        } else {
            if newWidth != width {
                bytes = horizontalPass(
                    bytes, lines: batch * height, width: width, channels: channels, to: newWidth)
            }
            if newHeight != height {
                bytes = verticalPass(
                    bytes, batch: batch, height: height, rowLength: newWidth * channels, to: newHeight)
            }
        }
        if hasAlpha { unpremultiply(&bytes, channels: channels) }
        return floats(bytes)
    }

    /// `floats(truncatedToBytes(samples))` without the byte array between.
    private static func truncatedTo8Bits(_ samples: [Float]) -> [Float] {
        [Float](unsafeUninitializedCapacity: samples.count) { targetBuffer, initialized in
            samples.withUnsafeBufferPointer { sourceBuffer in
                let source = SharedSource(sourceBuffer), target = SharedPointer(targetBuffer)
                ParallelRows.forEach(samples.count, samplesPerRow: 1) { range in
                    for index in range { (target.base + index).initialize(to: truncatedTo8Bits(source.base[index])) }
                }
            }
            initialized = samples.count
        }
    }

    /// One sample as it comes back from PIL's 8-bit pixels.
    static func truncatedTo8Bits(_ sample: Float) -> Float {
        // Truncating in floating point (rather than through UInt8) lets the compiler vectorise the loop.
        let scaled = 255 * sample
        return scaled.isNaN ? 0 : (min(max(scaled, 0), 255)).rounded(.towardZero) / 255
    }

    /// ComfyUI: np.clip(255 * x, 0, 255).astype(uint8), a truncation.
    private static func truncatedToBytes(_ samples: [Float]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: samples.count)
        samples.withUnsafeBufferPointer { sourceBuffer in
            bytes.withUnsafeMutableBufferPointer { targetBuffer in
                let source = SharedSource(sourceBuffer), target = SharedPointer(targetBuffer)
                ParallelRows.forEach(samples.count, samplesPerRow: 1) { range in
                    for index in range {
                        target.base[index] = UInt8(truncatingUnit: source.base[index])
                    }
                }
            }
        }
        return bytes
    }

    private static func floats(_ bytes: [UInt8]) -> [Float] {
        [Float](unsafeUninitializedCapacity: bytes.count) { targetBuffer, initialized in
            bytes.withUnsafeBufferPointer { sourceBuffer in
                let source = SharedSource(sourceBuffer), target = SharedPointer(targetBuffer)
                ParallelRows.forEach(bytes.count, samplesPerRow: 1) { range in
                    for index in range { (target.base + index).initialize(to: Float(source.base[index]) / 255) }
                }
            }
            initialized = bytes.count
        }
    }

    /// Each output's first input and tap count, and its fixed-point kernel padded to `stride` taps.
    private struct Coefficients: Sendable {
        var firsts: [Int] = []
        var counts: [Int] = []
        var stride = 0
        var kernels: [Int32] = []
    }

    private static func lanczos(_ x: Double) -> Double {
        func sinc(_ x: Double) -> Double {
            if x == 0 { return 1 }
            let scaled = x * Double.pi
            return sin(scaled) / scaled
        }
        return (-support <= x && x < support) ? sinc(x) * sinc(x / 3) : 0
    }

    private static func coefficients(from input: Int, to output: Int) -> Coefficients {
        let scale = Double(input) / Double(output)
        let filterScale = max(scale, 1)
        let reach = support * filterScale
        var result = Coefficients()
        var kernels: [[Int32]] = []
        for position in 0..<output {
            let center = (Double(position) + 0.5) * scale
            // C casts truncate toward zero; PIL clamps afterwards.
            let first = max(Int(center - reach + 0.5), 0)
            let count = min(Int(center + reach + 0.5), input) - first
            let inverseScale = 1 / filterScale
            var weights = (0..<count).map { lanczos((Double($0 + first) - center + 0.5) * inverseScale) }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            let one = Double(1 << precisionBits)
            result.firsts.append(first)
            result.counts.append(count)
            kernels.append(weights.map { Int32($0 < 0 ? $0 * one - 0.5 : $0 * one + 0.5) })
        }
        result.stride = kernels.map(\.count).max() ?? 0
        result.kernels = kernels.flatMap { $0 + [Int32](repeating: 0, count: result.stride - $0.count) }
        return result
    }

    private static func clip8(_ accumulator: Int32) -> UInt8 {
        UInt8(min(max(accumulator >> Int32(precisionBits), 0), 255))
    }

    private static func horizontalPass(_ bytes: [UInt8], lines: Int, width: Int, channels: Int, to newWidth: Int)
        -> [UInt8]
    {
        let coefficients = coefficients(from: width, to: newWidth)
        var result = [UInt8](repeating: 0, count: lines * newWidth * channels)
        bytes.withUnsafeBufferPointer { sourceBuffer in
            result.withUnsafeMutableBufferPointer { targetBuffer in
                coefficients.kernels.withUnsafeBufferPointer { kernelBuffer in
                    let source = SharedSource(sourceBuffer), target = SharedPointer(targetBuffer)
                    let kernels = SharedSource(kernelBuffer)
                    ParallelRows.forEach(lines, samplesPerRow: newWidth * channels * 6) { range in
                        for line in range {
                            let sourceRow = source.base + line * width * channels
                            let targetRow = target.base + line * newWidth * channels
                            for x in 0..<newWidth {
                                let first = coefficients.firsts[x], count = coefficients.counts[x]
                                let kernel = kernels.base + x * coefficients.stride
                                let from = sourceRow + first * channels, out = targetRow + x * channels
                                if channels == 3 {
                                    // One pass over the taps for the three channels of RGB.
                                    let half = Int32(1 << (precisionBits - 1))
                                    var (red, green, blue) = (half, half, half)
                                    for tap in 0..<count {
                                        let weight = kernel[tap], pixel = from + tap * 3
                                        red &+= Int32(pixel[0]) &* weight
                                        green &+= Int32(pixel[1]) &* weight
                                        blue &+= Int32(pixel[2]) &* weight
                                    }
                                    (out[0], out[1], out[2]) = (clip8(red), clip8(green), clip8(blue))
                                    continue
                                }
                                for channel in 0..<channels {
                                    var accumulator = Int32(1 << (precisionBits - 1))
                                    for tap in 0..<count {
                                        accumulator &+= Int32(from[tap * channels + channel]) &* kernel[tap]
                                    }
                                    out[channel] = clip8(accumulator)
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    private static func verticalPass(_ bytes: [UInt8], batch: Int, height: Int, rowLength: Int, to newHeight: Int)
        -> [UInt8]
    {
        let coefficients = coefficients(from: height, to: newHeight)
        var result = [UInt8](repeating: 0, count: batch * newHeight * rowLength)
        bytes.withUnsafeBufferPointer { sourceBuffer in
            result.withUnsafeMutableBufferPointer { targetBuffer in
                let source = SharedSource(sourceBuffer), target = SharedPointer(targetBuffer)
                ParallelRows.forEach(batch * newHeight, samplesPerRow: rowLength * 6) { range in
                    // One row of 32-bit sums, accumulated tap by tap so the inner loop runs along the row.
                    var sums = [Int32](repeating: 0, count: rowLength)
                    sums.withUnsafeMutableBufferPointer { sums in
                        for line in range {
                            let (image, y) = line.quotientAndRemainder(dividingBy: newHeight)
                            let first = coefficients.firsts[y], count = coefficients.counts[y]
                            for offset in 0..<rowLength { sums[offset] = Int32(1 << (precisionBits - 1)) }
                            for tap in 0..<count {
                                let sourceRow = source.base + (image * height + first + tap) * rowLength
                                let weight = coefficients.kernels[y * coefficients.stride + tap]
                                for offset in 0..<rowLength { sums[offset] &+= Int32(sourceRow[offset]) &* weight }
                            }
                            let targetRow = target.base + line * rowLength
                            for offset in 0..<rowLength { targetRow[offset] = clip8(sums[offset]) }
                        }
                    }
                }
            }
        }
        return result
    }

    /// PIL's RGBA → RGBa: colour × alpha / 255, rounded as its MULDIV255 does.
    private static func premultiply(_ bytes: inout [UInt8], channels: Int) {
        for pixel in stride(from: 0, to: bytes.count, by: channels) {
            let alpha = UInt32(bytes[pixel + channels - 1])
            for channel in 0..<(channels - 1) {
                let product = UInt32(bytes[pixel + channel]) * alpha + 128
                bytes[pixel + channel] = UInt8(((product >> 8) + product) >> 8)
            }
        }
    }

    /// PIL's RGBa → RGBA: colour × 255 / alpha, clipped; fully opaque and fully clear pixels stay as they are.
    private static func unpremultiply(_ bytes: inout [UInt8], channels: Int) {
        for pixel in stride(from: 0, to: bytes.count, by: channels) {
            let alpha = UInt32(bytes[pixel + channels - 1])
            guard alpha != 0 && alpha != 255 else { continue }
            for channel in 0..<(channels - 1) {
                bytes[pixel + channel] = UInt8(min(255 * UInt32(bytes[pixel + channel]) / alpha, 255))
            }
        }
    }
}

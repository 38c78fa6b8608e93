import Foundation
import LoomImaging

/// ComfyUI's `bislerp` latent resize: separable, first along x then y, each output cell the
/// spherical interpolation of its two bilinear neighbours' channel vectors, with the length
/// interpolated linearly. Works on images whose channels are a latent's.
enum Bislerp {
    static func scaled(_ image: Image, width: Int, height: Int, centerCrop: Bool) -> Image {
        var source = image
        if centerCrop {
            let oldAspect = Double(image.width) / Double(image.height), newAspect = Double(width) / Double(height)
            var x = 0, y = 0
            if oldAspect > newAspect {
                x = Int(((Double(image.width) - Double(image.width) * (newAspect / oldAspect)) / 2).rounded(.toNearestOrEven))
            } else if oldAspect < newAspect {
                y = Int(((Double(image.height) - Double(image.height) * (oldAspect / newAspect)) / 2).rounded(.toNearestOrEven))
            }
            source = image.cropped(x: x, y: y, width: image.width - 2 * x, height: image.height - 2 * y)
        }
        let channels = source.channels
        // Along x: rows stay, columns are resampled.
        let (xs, widened) = (neighbours(old: source.width, new: width), source.pixels)
        var alongX = [Float](repeating: 0, count: source.batchCount * source.height * width * channels)
        for row in 0..<(source.batchCount * source.height) {
            for (column, neighbour) in xs.enumerated() {
                let a = (row * source.width + neighbour.first) * channels, b = (row * source.width + neighbour.second) * channels
                slerp(widened, a, b, neighbour.ratio, channels, into: &alongX, at: (row * width + column) * channels)
            }
        }
        let ys = neighbours(old: source.height, new: height)
        var result = [Float](repeating: 0, count: source.batchCount * height * width * channels)
        for item in 0..<source.batchCount {
            for (row, neighbour) in ys.enumerated() {
                for column in 0..<width {
                    let a = ((item * source.height + neighbour.first) * width + column) * channels
                    let b = ((item * source.height + neighbour.second) * width + column) * channels
                    slerp(alongX, a, b, neighbour.ratio, channels, into: &result, at: ((item * height + row) * width + column) * channels)
                }
            }
        }
        return Image(batchCount: source.batchCount, height: height, width: width, channels: channels, pixels: result)
    }

    /// ComfyUI's `generate_bilinear_data`: source indices 0, 1, … and 1, 2, …, n−1, n−1 resized
    /// bilinearly (PyTorch, align_corners=False) to the new length, truncated to indices; the
    /// ratio is the first's fractional part.
    static func neighbours(old: Int, new: Int) -> [(first: Int, second: Int, ratio: Float)] {
        let scale = Float(old) / Float(new)
        return (0..<new).map { index in
            let source = max(scale * (Float(index) + 0.5) - 0.5, 0)
            let lower = min(Int(source), old - 1)
            let upper = min(lower + 1, old - 1)
            let weight = source - Float(lower)
            let first = Float(lower) * (1 - weight) + Float(upper) * weight
            let secondLower = Float(min(lower + 1, old - 1)), secondUpper = Float(min(upper + 1, old - 1))
            let second = secondLower * (1 - weight) + secondUpper * weight
            return (Int(first), Int(second), first - first.rounded(.down))
        }
    }

    /// The slerp of the vectors at `a` and `b` of `values` by `r`, written at `at` of `output`.
    static func slerp(_ values: [Float], _ a: Int, _ b: Int, _ r: Float, _ count: Int, into output: inout [Float], at: Int) {
        var normA: Float = 0, normB: Float = 0
        for channel in 0..<count {
            normA += values[a + channel] * values[a + channel]
            normB += values[b + channel] * values[b + channel]
        }
        (normA, normB) = (normA.squareRoot(), normB.squareRoot())
        let scaleA: Float = normA == 0 ? 0 : 1 / normA, scaleB: Float = normB == 0 ? 0 : 1 / normB
        var dot: Float = 0
        for channel in 0..<count { dot += values[a + channel] * scaleA * values[b + channel] * scaleB }
        if dot > 1 - 1e-5 {
            for channel in 0..<count { output[at + channel] = values[a + channel] }
            return
        }
        if dot < 1e-5 - 1 {
            for channel in 0..<count { output[at + channel] = values[a + channel] * (1 - r) + values[b + channel] * r }
            return
        }
        let omega = acos(dot), sine = sin(omega)
        let weightA = sin((1 - r) * omega) / sine, weightB = sin(r * omega) / sine
        let length = normA * (1 - r) + normB * r
        for channel in 0..<count {
            output[at + channel] = (weightA * values[a + channel] * scaleA + weightB * values[b + channel] * scaleB) * length
        }
    }
}

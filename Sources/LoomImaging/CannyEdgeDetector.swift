import Foundation

/// Canny edges as ComfyUI's Canny node computes them with kornia: grey by Rec. 601 weights, a 5×5
/// Gaussian blur (σ = 1, reflected borders, rows then columns), unnormalised Sobel gradients (replicated
/// borders), non-maximum suppression along the gradient rounded to 45° with OpenCV's tie rule, strict
/// thresholds on the magnitude, and 8-connected hysteresis. Edges are 0 or 1.
public struct CannyEdgeDetector: Sendable {
    public var lowThreshold: Float
    public var highThreshold: Float

    public init(lowThreshold: Float, highThreshold: Float) {
        self.lowThreshold = lowThreshold
        self.highThreshold = highThreshold
    }

    /// The edge map of every image in the batch, as a grey mask batch.
    public func edges(of image: Image) -> Mask {
        var values: [Float] = []
        values.reserveCapacity(image.batchCount * image.height * image.width)
        for batch in 0..<image.batchCount {
            values += edges(grey: grey(image, batch), height: image.height, width: image.width)
        }
        return Mask(batchCount: image.batchCount, height: image.height, width: image.width, values: values)
    }

    private func grey(_ image: Image, _ batch: Int) -> [Float] {
        let pixels = image.height * image.width, channels = image.channels
        let base = batch * pixels * channels
        guard channels >= 3 else { return (0..<pixels).map { image.pixels[base + $0 * channels] } }
        return (0..<pixels).map { p in
            let i = base + p * channels
            return 0.299 * image.pixels[i] + 0.587 * image.pixels[i + 1] + 0.114 * image.pixels[i + 2]
        }
    }

    private func edges(grey: [Float], height: Int, width: Int) -> [Float] {
        let blurred = Self.gaussianBlur(grey, height: height, width: width)
        let (gx, gy) = Self.sobel(blurred, height: height, width: width)
        let epsilon: Float = 1e-6
        let magnitude = zip(gx, gy).map { ($0 * $0 + $1 * $1 + epsilon).squareRoot() }
        // Outside the image the gradient is zero, so the border's magnitude is that of a flat pixel.
        let flat = epsilon.squareRoot()
        func magnitudeAt(_ y: Int, _ x: Int) -> Float {
            y < 0 || y >= height || x < 0 || x >= width ? flat : magnitude[y * width + x]
        }
        // Directions k·45° from +x towards +y: right, down-right, down, down-left, left, up-left, up, up-right.
        let offsets = [(0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1)]
        var kept = [Float](repeating: 0, count: height * width)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let angle = atan2(gy[i], gx[i]) * (4 / Float.pi)
                let rounded = angle.isNaN ? 0 : Int(angle.rounded(.toNearestOrEven))
                let positive = ((rounded % 8) + 8) % 8
                let negative = (positive + 4) % 8
                let value = magnitude[i]
                func beats(_ direction: Int) -> Bool {
                    let neighbour = magnitudeAt(y + offsets[direction].0, x + offsets[direction].1)
                    // Right and down accept a tie, so of two equal pixels across a step the first is kept.
                    return value > neighbour || ((direction == 0 || direction == 2) && value == neighbour)
                }
                if beats(positive) && beats(negative) && value > flat { kept[i] = value }
            }
        }
        return hysteresis(kept, height: height, width: width)
    }

    /// Strong pixels (above the high threshold) and the weak ones (above the low) connected to them.
    private func hysteresis(_ magnitude: [Float], height: Int, width: Int) -> [Float] {
        var edges = [Float](repeating: 0, count: magnitude.count)
        var pending: [Int] = []
        for (i, value) in magnitude.enumerated() where value > highThreshold {
            edges[i] = 1
            pending.append(i)
        }
        while let i = pending.popLast() {
            let (y, x) = (i / width, i % width)
            for dy in -1...1 {
                for dx in -1...1 where dy != 0 || dx != 0 {
                    let (ny, nx) = (y + dy, x + dx)
                    guard ny >= 0, ny < height, nx >= 0, nx < width else { continue }
                    let j = ny * width + nx
                    if edges[j] == 0 && magnitude[j] > lowThreshold {
                        edges[j] = 1
                        pending.append(j)
                    }
                }
            }
        }
        return edges
    }

    /// kornia's separable Gaussian: 5 taps of σ = 1 normalised to sum 1, PyTorch "reflect" borders.
    static func gaussianBlur(_ values: [Float], height: Int, width: Int) -> [Float] {
        let raw = (-2...2).map { Float(exp(-Double($0 * $0) / 2)) }
        let sum = raw.reduce(0, +)
        let taps = raw.map { $0 / sum }
        func reflect(_ i: Int, _ count: Int) -> Int {
            guard count > 1 else { return 0 }
            var i = i
            while i < 0 || i >= count { i = i < 0 ? -i : 2 * (count - 1) - i }
            return i
        }
        var rows = [Float](repeating: 0, count: values.count)
        for y in 0..<height {
            for x in 0..<width {
                var total: Float = 0
                for (k, tap) in taps.enumerated() { total += tap * values[y * width + reflect(x + k - 2, width)] }
                rows[y * width + x] = total
            }
        }
        var output = [Float](repeating: 0, count: values.count)
        for y in 0..<height {
            for x in 0..<width {
                var total: Float = 0
                for (k, tap) in taps.enumerated() { total += tap * rows[reflect(y + k - 2, height) * width + x] }
                output[y * width + x] = total
            }
        }
        return output
    }

    /// Unnormalised 3×3 Sobel responses with replicated borders.
    static func sobel(_ values: [Float], height: Int, width: Int) -> (x: [Float], y: [Float]) {
        func at(_ y: Int, _ x: Int) -> Float { values[min(max(y, 0), height - 1) * width + min(max(x, 0), width - 1)] }
        var gx = [Float](repeating: 0, count: values.count), gy = gx
        for y in 0..<height {
            for x in 0..<width {
                gx[y * width + x] = (at(y - 1, x + 1) - at(y - 1, x - 1)) + 2 * (at(y, x + 1) - at(y, x - 1))
                    + (at(y + 1, x + 1) - at(y + 1, x - 1))
                gy[y * width + x] = (at(y + 1, x - 1) - at(y - 1, x - 1)) + 2 * (at(y + 1, x) - at(y - 1, x))
                    + (at(y + 1, x + 1) - at(y - 1, x + 1))
            }
        }
        return (gx, gy)
    }
}

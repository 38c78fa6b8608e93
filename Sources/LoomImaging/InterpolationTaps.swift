/// For each output position along one axis, the input positions it reads and their weights.
/// Separable filters resample an image by applying one table per axis.
struct InterpolationTaps {
    var starts: [Int] = []
    var indices: [Int] = []
    var weights: [Float] = []

    mutating func append(_ taps: [(index: Int, weight: Float)]) {
        starts.append(indices.count)
        for tap in taps {
            indices.append(tap.index)
            weights.append(tap.weight)
        }
    }

    /// The tables as pointers for parallel loops; `starts` gains a final entry, so output `o` reads
    /// taps `starts[o]..<starts[o + 1]`.
    func withFlatTables<Result>(
        _ body: (SharedSource<Int>, SharedSource<Int>, SharedSource<Float>) -> Result
    ) -> Result {
        let bounds = starts + [indices.count]
        return bounds.withUnsafeBufferPointer { starts in
            indices.withUnsafeBufferPointer { indices in
                weights.withUnsafeBufferPointer { weights in
                    body(SharedSource(starts), SharedSource(indices), SharedSource(weights))
                }
            }
        }
    }

    /// PyTorch's source scale for `size=` without `scale_factor`: computed in float32.
    private static func scale(_ input: Int, _ output: Int) -> Float { Float(input) / Float(output) }

    static func nearest(from input: Int, to output: Int) -> InterpolationTaps {
        let scale = scale(input, output)
        var taps = InterpolationTaps()
        for position in 0..<output {
            // PyTorch multiplies in float32 here (an integer times a float).
            taps.append([(min(Int((Float(position) * scale).rounded(.down)), input - 1), 1)])
        }
        return taps
    }

    static func nearestExact(from input: Int, to output: Int) -> InterpolationTaps {
        let scale = scale(input, output)
        var taps = InterpolationTaps()
        for position in 0..<output {
            // PyTorch: floorf((index + 0.5) * scale) — a double product passed to floorf, so rounded to float32 first
            // (4.5 · 6.6666665 = 29.9999993 becomes 30).
            let source = min(Int(Float((Double(position) + 0.5) * Double(scale)).rounded(.down)), input - 1)
            taps.append([(source, 1)])
        }
        return taps
    }

    static func bilinear(from input: Int, to output: Int) -> InterpolationTaps {
        let scale = scale(input, output)
        var taps = InterpolationTaps()
        for position in 0..<output {
            // align_corners=False: pixel centres map onto pixel centres; clamp before the left edge.
            let source = max(scale * (Float(position) + 0.5) - 0.5, 0)
            let left = Int(source)
            let right = left < input - 1 ? left + 1 : left
            let lambda = source - Float(left)
            taps.append([(left, 1 - lambda), (right, lambda)])
        }
        return taps
    }

    static func bicubic(from input: Int, to output: Int) -> InterpolationTaps {
        let scale = scale(input, output)
        let a: Float = -0.75
        func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        var taps = InterpolationTaps()
        for position in 0..<output {
            let source = scale * (Float(position) + 0.5) - 0.5
            let base = Int(source.rounded(.down))
            let t = source - Float(base)
            let weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
            // Reads past the border repeat the edge pixel.
            taps.append((0..<4).map { (min(max(base - 1 + $0, 0), input - 1), weights[$0]) })
        }
        return taps
    }

    /// PyTorch's antialiased bicubic: like PIL's resampling, the filter widens by the shrink factor, and
    /// each output's weights are normalised to sum to 1.
    static func antialiasedBicubic(from input: Int, to output: Int) -> InterpolationTaps {
        let scale = scale(input, output)
        let support: Float = scale >= 1 ? 2 * scale : 2
        let inverseScale: Float = scale >= 1 ? 1 / scale : 1
        func keys(_ x: Float) -> Float {
            let a: Float = -0.5, x = abs(x)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            return 0
        }
        var taps = InterpolationTaps()
        for position in 0..<output {
            let center = scale * (Float(position) + 0.5)
            let first = max(Int(center - support + 0.5), 0)
            let count = min(Int(center + support + 0.5), input) - first
            var weights = (0..<count).map { keys((Float($0 + first) - center + 0.5) * inverseScale) }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            taps.append((0..<count).map { (first + $0, weights[$0]) })
        }
        return taps
    }

    /// Adaptive average pooling: output `o` averages inputs floor(o·in/out) ..< ceil((o+1)·in/out).
    static func area(from input: Int, to output: Int) -> InterpolationTaps {
        var taps = InterpolationTaps()
        for position in 0..<output {
            let start = position * input / output
            let end = ((position + 1) * input + output - 1) / output
            let weight = 1 / Float(end - start)
            taps.append((start..<end).map { ($0, weight) })
        }
        return taps
    }
}

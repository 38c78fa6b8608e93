import Foundation

/// `scipy.ndimage.gaussian_filter` on a 2-D float64 array: a separable Gaussian (rows first, then columns),
/// `truncate` standard deviations wide, edges mirrored (`mode='reflect'`, d c b a | a b c d). The weights
/// and the order of the sums follow SciPy's, so flat regions and ties come out as they do there.
public enum SciPyGaussianFilter {
    public static func apply(_ values: [Double], height: Int, width: Int, sigma: Double, truncate: Double = 4) -> [Double] {
        precondition(values.count == height * width, "plane size does not match")
        guard height > 0 && width > 0 else { return values }
        let weights = kernel(sigma: sigma, radius: Int(truncate * sigma + 0.5))
        var columnsFiltered = [Double](repeating: 0, count: values.count)
        var line = [Double](repeating: 0, count: height)
        var filtered = [Double](repeating: 0, count: height)
        for x in 0..<width {
            for y in 0..<height { line[y] = values[y * width + x] }
            filter(line, weights, into: &filtered)
            for y in 0..<height { columnsFiltered[y * width + x] = filtered[y] }
        }
        var output = [Double](repeating: 0, count: values.count)
        var row = [Double](repeating: 0, count: width)
        for y in 0..<height {
            let rowValues = Array(columnsFiltered[(y * width)..<((y + 1) * width)])
            filter(rowValues, weights, into: &row)
            output.replaceSubrange((y * width)..<((y + 1) * width), with: row)
        }
        return output
    }

    /// `_gaussian_kernel1d`: exp(−x²/2σ²) normalised by NumPy's pairwise sum; index 0 is the centre.
    static func kernel(sigma: Double, radius: Int) -> [Double] {
        let factor = -0.5 / (sigma * sigma)
        let full = (-radius...radius).map { exp(factor * Double($0 * $0)) }
        let sum = pairwiseSum(full)
        return (0...radius).map { full[radius + $0] / sum }
    }

    /// NumPy's summation of a short contiguous array: eight running sums combined as a tree, then the rest.
    static func pairwiseSum(_ values: [Double]) -> Double {
        guard values.count >= 8 else { return values.reduce(0, +) }
        var partial = Array(values[0..<8])
        var index = 8
        while index + 8 <= values.count {
            for lane in 0..<8 { partial[lane] += values[index + lane] }
            index += 8
        }
        var sum = ((partial[0] + partial[1]) + (partial[2] + partial[3])) + ((partial[4] + partial[5]) + (partial[6] + partial[7]))
        while index < values.count {
            sum += values[index]
            index += 1
        }
        return sum
    }

    /// correlate1d with a symmetric kernel: centre first, then pairs from the outside in.
    static func filter(_ line: [Double], _ weights: [Double], into output: inout [Double]) {
        let count = line.count, radius = weights.count - 1
        let period = 2 * count
        // The line with `radius` mirrored samples on each side.
        let extended = (-radius..<(count + radius)).map { index -> Double in
            var folded = index % period
            if folded < 0 { folded += period }
            return line[folded < count ? folded : period - 1 - folded]
        }
        extended.withUnsafeBufferPointer { extendedBuffer in
            weights.withUnsafeBufferPointer { weightBuffer in
                output.withUnsafeMutableBufferPointer { outputBuffer in
                    let samples = extendedBuffer.baseAddress! + radius, weight = weightBuffer.baseAddress!
                    for i in 0..<count {
                        var sum = samples[i] * weight[0]
                        var j = radius
                        while j > 0 {
                            sum += (samples[i - j] + samples[i + j]) * weight[j]
                            j -= 1
                        }
                        outputBuffer[i] = sum
                    }
                }
            }
        }
    }
}

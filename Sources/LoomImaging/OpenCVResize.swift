import Foundation

/// The `cv2.resize` interpolations the ControlNet annotators use.
public enum OpenCVInterpolation: Sendable, Hashable {
    /// `INTER_AREA`: the mean over each destination pixel's footprint (shrinking).
    case area
    /// `INTER_CUBIC`: Keys' cubic with a = −0.75.
    case cubic
    /// `INTER_LANCZOS4`: an 8-tap windowed sinc.
    case lanczos4
}

/// OpenCV's `cv::resize` as its C++ code computes it, for 8-bit images and float planes, so annotator maps
/// come out as the Python pack's do: the same source positions (pixel centres, `(d + 0.5)·scale − 0.5` in
/// float), edge pixels repeated past the border, and for 8-bit samples the same 11-bit fixed-point
/// Lanczos coefficients. Checked against opencv-python 5.1; what it cannot follow bit for bit are OpenCV's
/// SIMD roundings of a few samples (a ±1 difference on rare pixels).
public enum OpenCVResize {
    /// `cv2.resize(image, (width, height), interpolation=…)` of an 8-bit image.
    public static func resize(_ image: ByteImage, height: Int, width: Int, interpolation: OpenCVInterpolation) -> ByteImage {
        precondition(height > 0 && width > 0 && image.height > 0 && image.width > 0, "resizing needs non-empty sizes")
        if height == image.height && width == image.width { return image }
        let source = Grid(height: image.height, width: image.width, channels: image.channels, values: image.samples.map(Float.init))
        let resized: [UInt8]
        switch interpolation {
        case .area: resized = area(source, height: height, width: width, bytes: true).map { UInt8($0) }
        case .cubic: resized = cubicBytes(image, height: height, width: width)
        case .lanczos4: resized = separableBytes(image, height: height, width: width, kernel: .lanczos4)
        }
        return ByteImage(height: height, width: width, channels: image.channels, samples: resized)
    }

    /// `cv2.resize` of one float32 plane (a heatmap channel) of `sourceHeight` × `sourceWidth` values.
    public static func resize(plane: [Float], height sourceHeight: Int, width sourceWidth: Int, toHeight height: Int, toWidth width: Int,
                              interpolation: OpenCVInterpolation) -> [Float] {
        precondition(height > 0 && width > 0 && sourceHeight > 0 && sourceWidth > 0, "resizing needs non-empty sizes")
        precondition(plane.count == sourceHeight * sourceWidth, "plane size does not match")
        if height == sourceHeight && width == sourceWidth { return plane }
        let source = Grid(height: sourceHeight, width: sourceWidth, channels: 1, values: plane)
        switch interpolation {
        case .area: return area(source, height: height, width: width, bytes: false)
        case .cubic: return separableFloats(source, height: height, width: width, kernel: .cubic)
        case .lanczos4: return separableFloats(source, height: height, width: width, kernel: .lanczos4)
        }
    }

    struct Grid {
        var height: Int
        var width: Int
        var channels: Int
        var values: [Float]
    }

    /// cv::interpolateCubic and cv::interpolateLanczos4, with OpenCV's float/double mix.
    struct Kernel: Sendable {
        let size: Int
        let coefficients: @Sendable (Float) -> [Float]

        static let cubic = Kernel(size: 4) { x in
            let a: Float = -0.75
            let c0 = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
            let c1 = ((a + 2) * x - (a + 3)) * x * x + 1
            let c2 = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1
            return [c0, c1, c2, 1 - c0 - c1 - c2]
        }

        static let lanczos4 = Kernel(size: 8, coefficients: lanczos4Coefficients)

        private static func lanczos4Coefficients(_ x: Float) -> [Float] {
            let s45 = 0.70710678118654752440084436210485
            let cs: [(Double, Double)] = [(1, 0), (-s45, -s45), (0, 1), (s45, -s45), (-1, 0), (s45, s45), (0, -1), (-s45, s45)]
            let y0 = -Double(x + 3) * Double.pi * 0.25
            let s0 = sin(y0), c0 = cos(y0)
            var coefficients = [Float](repeating: 0, count: 8)
            var sum: Float = 0
            for i in 0..<8 {
                let offset = x + 3 - Float(i)
                if abs(offset) >= 1e-6 {
                    let y = -Double(offset) * Double.pi * 0.25
                    coefficients[i] = Float((cs[i].0 * s0 + cs[i].1 * c0) / (y * y))
                } else {
                    coefficients[i] = 1e30
                }
                sum += coefficients[i]
            }
            let inverse = 1 / sum
            return coefficients.map { $0 * inverse }
        }
    }

    /// For each destination position: the first source tap (clamping happens when reading) and its weights.
    struct Taps {
        var first: [Int] = []
        var weights: [Float] = []
    }

    static func taps(from source: Int, to destination: Int, kernel: Kernel) -> Taps {
        let scale = 1 / (Double(destination) / Double(source))
        var taps = Taps()
        for d in 0..<destination {
            var fraction = Float((Double(d) + 0.5) * scale - 0.5)
            let start = Int(fraction.rounded(.down))
            fraction -= Float(start)
            taps.first.append(start - kernel.size / 2 + 1)
            taps.weights += kernel.coefficients(fraction)
        }
        return taps
    }

    /// Source indices for each destination's taps, clamped to the edge as OpenCV reads past it.
    static func clampedIndices(_ first: [Int], taps: Int, limit: Int) -> [Int] {
        first.flatMap { start in (0..<taps).map { min(max(start + $0, 0), limit - 1) } }
    }

    /// Horizontal then vertical passes in float, as OpenCV's float32 path.
    static func separableFloats(_ source: Grid, height: Int, width: Int, kernel: Kernel) -> [Float] {
        let columns = taps(from: source.width, to: width, kernel: kernel)
        let rows = taps(from: source.height, to: height, kernel: kernel)
        let k = kernel.size, channels = source.channels
        let columnIndices = clampedIndices(columns.first, taps: k, limit: source.width)
        let rowIndices = clampedIndices(rows.first, taps: k, limit: source.height)
        let rowLength = width * channels, sourceRowLength = source.width * channels
        var horizontal = [Float](repeating: 0, count: source.height * rowLength)
        var output = [Float](repeating: 0, count: height * rowLength)
        source.values.withUnsafeBufferPointer { sourceBuffer in
            horizontal.withUnsafeMutableBufferPointer { horizontalBuffer in
                let input = sourceBuffer.baseAddress!, passed = horizontalBuffer.baseAddress!
                columnIndices.withUnsafeBufferPointer { indexBuffer in
                    columns.weights.withUnsafeBufferPointer { weightBuffer in
                        let index = indexBuffer.baseAddress!, weight = weightBuffer.baseAddress!
                        for y in 0..<source.height {
                            let row = input + y * sourceRowLength, target = passed + y * rowLength
                            for x in 0..<width {
                                for c in 0..<channels {
                                    var sum: Float = 0
                                    for t in 0..<k { sum += row[index[x * k + t] * channels + c] * weight[x * k + t] }
                                    target[x * channels + c] = sum
                                }
                            }
                        }
                    }
                }
                output.withUnsafeMutableBufferPointer { outputBuffer in
                    rowIndices.withUnsafeBufferPointer { indexBuffer in
                        rows.weights.withUnsafeBufferPointer { weightBuffer in
                            let index = indexBuffer.baseAddress!, weight = weightBuffer.baseAddress!
                            for y in 0..<height {
                                let target = outputBuffer.baseAddress! + y * rowLength
                                for i in 0..<rowLength {
                                    var sum: Float = 0
                                    for t in 0..<k { sum += passed[index[y * k + t] * rowLength + i] * weight[y * k + t] }
                                    target[i] = sum
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// OpenCV 5's 8-bit cubic: positions, weights and sums at full precision, rounded half up. (OpenCV 4 used
    /// 11-bit weights here, which differ by one on a few percent of the samples.)
    static func cubicBytes(_ image: ByteImage, height: Int, width: Int) -> [UInt8] {
        func taps(_ source: Int, _ destination: Int) -> (first: [Int], weights: [Double]) {
            let scale = Double(source) / Double(destination)
            var first: [Int] = [], weights: [Double] = []
            for d in 0..<destination {
                let position = (Double(d) + 0.5) * scale - 0.5
                let start = position.rounded(.down), x = position - start
                let a = -0.75
                let c0 = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
                let c1 = ((a + 2) * x - (a + 3)) * x * x + 1
                let c2 = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1
                first.append(Int(start) - 1)
                weights += [c0, c1, c2, 1 - c0 - c1 - c2]
            }
            return (first, weights)
        }
        let columns = taps(image.width, width), rows = taps(image.height, height)
        let channels = image.channels, rowLength = width * channels
        var horizontal = [Double](repeating: 0, count: image.height * rowLength)
        for y in 0..<image.height {
            for x in 0..<width {
                for c in 0..<channels {
                    var sum = 0.0
                    for t in 0..<4 {
                        let sx = min(max(columns.first[x] + t, 0), image.width - 1)
                        sum += Double(image.samples[(y * image.width + sx) * channels + c]) * columns.weights[x * 4 + t]
                    }
                    horizontal[y * rowLength + x * channels + c] = sum
                }
            }
        }
        var output = [UInt8](repeating: 0, count: height * rowLength)
        for y in 0..<height {
            for i in 0..<rowLength {
                var sum = 0.0
                for t in 0..<4 {
                    let sy = min(max(rows.first[y] + t, 0), image.height - 1)
                    sum += horizontal[sy * rowLength + i] * rows.weights[y * 4 + t]
                }
                output[y * rowLength + i] = UInt8(min(max((sum + 0.5).rounded(.down), 0), 255))
            }
        }
        return output
    }

    /// OpenCV's 8-bit Lanczos: coefficients rounded to 1/2048, integer sums, rounded back to 0...255.
    static func separableBytes(_ image: ByteImage, height: Int, width: Int, kernel: Kernel) -> [UInt8] {
        let columns = taps(from: image.width, to: width, kernel: kernel)
        let rows = taps(from: image.height, to: height, kernel: kernel)
        let fixed: (Float) -> Int32 = { Int32(($0 * 2048).rounded(.toNearestOrEven)) }
        let columnWeights = columns.weights.map(fixed), rowWeights = rows.weights.map(fixed)
        let k = kernel.size, channels = image.channels
        var horizontal = [Int32](repeating: 0, count: image.height * width * channels)
        for y in 0..<image.height {
            for x in 0..<width {
                for c in 0..<channels {
                    var sum: Int32 = 0
                    for t in 0..<k {
                        let sx = min(max(columns.first[x] + t, 0), image.width - 1)
                        sum += Int32(image.samples[(y * image.width + sx) * channels + c]) * columnWeights[x * k + t]
                    }
                    horizontal[(y * width + x) * channels + c] = sum
                }
            }
        }
        var output = [UInt8](repeating: 0, count: height * width * channels)
        let rowLength = width * channels
        for y in 0..<height {
            let sources = (0..<k).map { min(max(rows.first[y] + $0, 0), image.height - 1) * rowLength }
            let weights = (0..<k).map { rowWeights[y * k + $0] }
            for i in 0..<rowLength {
                var sum: Int64 = 0
                for t in 0..<k { sum += Int64(horizontal[sources[t] + i]) * Int64(weights[t]) }
                let value = Int((sum + (1 << 21)) >> 22)
                output[y * rowLength + i] = UInt8(min(max(value, 0), 255))
            }
        }
        return output
    }

    /// INTER_AREA when shrinking: integer factors average whole blocks (resizeAreaFast), other factors weigh
    /// the partly covered pixels by their overlap (resizeArea). 8-bit results round half to even, except 2×2
    /// blocks, which OpenCV's SIMD path rounds half up.
    static func area(_ source: Grid, height: Int, width: Int, bytes: Bool) -> [Float] {
        let scaleX = 1 / (Double(width) / Double(source.width)), scaleY = 1 / (Double(height) / Double(source.height))
        let integerX = Int(scaleX.rounded()), integerY = Int(scaleY.rounded())
        if abs(scaleX - Double(integerX)) < Double.ulpOfOne && abs(scaleY - Double(integerY)) < Double.ulpOfOne
            && integerX >= 1 && integerY >= 1 {
            return areaFast(source, height: height, width: width, factorX: integerX, factorY: integerY, bytes: bytes)
        }
        let channels = source.channels
        let columnTable = areaTable(source: source.width, destination: width, scale: scaleX)
        let rowTable = areaTable(source: source.height, destination: height, scale: scaleY)
        let rowLength = width * channels
        var output = [Float](repeating: 0, count: height * rowLength)
        var sum = [Float](repeating: 0, count: rowLength)
        var buffer = [Float](repeating: 0, count: rowLength)
        var previous = rowTable.first?.destination ?? 0
        source.values.withUnsafeBufferPointer { sourceBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                sum.withUnsafeMutableBufferPointer { sumBuffer in
                    buffer.withUnsafeMutableBufferPointer { rowBuffer in
                        let input = sourceBuffer.baseAddress!, result = outputBuffer.baseAddress!
                        let total = sumBuffer.baseAddress!, line = rowBuffer.baseAddress!
                        func flush(_ row: Int) {
                            for i in 0..<rowLength {
                                result[row * rowLength + i] = bytes ? min(max(total[i].rounded(.toNearestOrEven), 0), 255) : total[i]
                            }
                        }
                        for entry in rowTable {
                            for i in 0..<rowLength { line[i] = 0 }
                            let row = input + entry.source * source.width * channels
                            for column in columnTable {
                                for c in 0..<channels {
                                    line[column.destination * channels + c] += row[column.source * channels + c] * column.weight
                                }
                            }
                            if entry.destination != previous {
                                flush(previous)
                                for i in 0..<rowLength { total[i] = entry.weight * line[i] }
                                previous = entry.destination
                            } else {
                                for i in 0..<rowLength { total[i] += entry.weight * line[i] }
                            }
                        }
                        flush(previous)
                    }
                }
            }
        }
        return output
    }

    struct AreaWeight {
        var destination: Int
        var source: Int
        var weight: Float
    }

    /// computeResizeAreaTab: each destination cell's covered source pixels with their share of the cell.
    static func areaTable(source: Int, destination: Int, scale: Double) -> [AreaWeight] {
        var table: [AreaWeight] = []
        for d in 0..<destination {
            let start = Double(d) * scale, end = start + scale
            let cellWidth = min(scale, Double(source) - start)
            var first = Int(start.rounded(.up)), last = Int(end.rounded(.down))
            last = min(last, source - 1)
            first = min(first, last)
            if Double(first) - start > 1e-3 {
                table.append(AreaWeight(destination: d, source: first - 1, weight: Float((Double(first) - start) / cellWidth)))
            }
            for s in first..<max(first, last) {
                table.append(AreaWeight(destination: d, source: s, weight: Float(1.0 / cellWidth)))
            }
            if end - Double(last) > 1e-3 {
                table.append(AreaWeight(destination: d, source: last, weight: Float(min(min(end - Double(last), 1), cellWidth) / cellWidth)))
            }
        }
        return table
    }

    static func areaFast(_ source: Grid, height: Int, width: Int, factorX: Int, factorY: Int, bytes: Bool) -> [Float] {
        let channels = source.channels
        let scale = 1 / Float(factorX * factorY)
        var output = [Float](repeating: 0, count: height * width * channels)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    var sum: Float = 0, count = 0
                    for dy in 0..<factorY where y * factorY + dy < source.height {
                        for dx in 0..<factorX where x * factorX + dx < source.width {
                            sum += source.values[((y * factorY + dy) * source.width + x * factorX + dx) * channels + c]
                            count += 1
                        }
                    }
                    let mean: Float
                    if count == factorX * factorY {
                        if bytes && factorX == 2 && factorY == 2 {
                            mean = Float((Int(sum) + 2) >> 2)
                        } else {
                            mean = sum * scale
                        }
                    } else {
                        mean = sum / Float(count)
                    }
                    output[(y * width + x) * channels + c] = bytes ? min(max(mean.rounded(.toNearestOrEven), 0), 255) : mean
                }
            }
        }
        return output
    }
}

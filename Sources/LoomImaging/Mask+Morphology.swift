extension Mask {
    /// ComfyUI's GrowMask: `abs(expand)` rounds of 3×3 grey dilation (expand > 0) or erosion (expand < 0),
    /// like scipy's grey_dilation/grey_erosion. With tapered corners the footprint is a plus shape,
    /// otherwise the full square. Reads past the border see the edge value, which leaves max/min unchanged.
    ///
    /// Inside a rectangle every pixel within n steps of another is reached by a path that stays inside, so n
    /// rounds equal one pass with the n-fold footprint clipped to the image: a (2n+1)² square, or for the plus
    /// shape the diamond |dx| + |dy| ≤ n. Both are computed with sliding-window extremes whose cost does not
    /// depend on n: the square row by row then column by column, the diamond the same way on the image turned
    /// 45° (u = x + y, v = x − y), where it is a square.
    public func grown(by expand: Int, taperedCorners: Bool) -> Mask {
        guard expand != 0, width > 0, height > 0, batchCount > 0 else { return self }
        let larger = expand > 0
        // Past the image's extent the footprint covers all of it; larger radii change nothing.
        let radius = min(Int(clamping: expand.magnitude), width + height)
        var result = values
        result.withUnsafeMutableBufferPointer { buffer in
            for frame in 0..<batchCount {
                let plane = buffer.baseAddress! + frame * frameSize
                if taperedCorners {
                    Self.diamondExtreme(plane, width: width, height: height, radius: radius, larger: larger)
                } else {
                    Self.rectangleExtreme(plane, width: width, height: height, radius: radius, larger: larger)
                }
            }
        }
        return Mask(batchCount: batchCount, height: height, width: width, values: result)
    }

    /// The square footprint, in place: rows, then columns.
    private static func rectangleExtreme(
        _ plane: UnsafeMutablePointer<Float>, width: Int, height: Int, radius: Int, larger: Bool
    ) {
        let shared = SharedPointer(UnsafeMutableBufferPointer(start: plane, count: width * height))
        slide(shared, lines: height, length: width, lineStep: width, stride: 1, radius: radius, larger: larger)
        slide(shared, lines: width, length: height, lineStep: 1, stride: width, radius: radius, larger: larger)
    }

    /// The diamond footprint, in place, through the turned grid. Cells of that grid that are no pixel hold the
    /// identity of the extreme (−∞ for the largest, +∞ for the smallest) and never win.
    private static func diamondExtreme(
        _ plane: UnsafeMutablePointer<Float>, width: Int, height: Int, radius: Int, larger: Bool
    ) {
        let side = width + height - 1
        var turned = [Float](repeating: larger ? -.infinity : .infinity, count: side * side)
        for y in 0..<height {
            for x in 0..<width { turned[(x + y) * side + x - y + height - 1] = plane[y * width + x] }
        }
        turned.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedPointer(buffer)
            slide(shared, lines: side, length: side, lineStep: side, stride: 1, radius: radius, larger: larger)
            slide(shared, lines: side, length: side, lineStep: 1, stride: side, radius: radius, larger: larger)
        }
        for y in 0..<height {
            for x in 0..<width { plane[y * width + x] = turned[(x + y) * side + x - y + height - 1] }
        }
    }
}

extension Mask {
    /// Sliding extremes along `lines` lines of `length` values, line i starting `i × lineStep` values in and its
    /// values `stride` apart, the lines shared across the cores.
    fileprivate static func slide(
        _ values: SharedPointer<Float>, lines: Int, length: Int, lineStep: Int, stride: Int, radius: Int, larger: Bool
    ) {
        ParallelRows.forEach(lines, samplesPerRow: length) { range in
            var window = SlidingExtreme(capacity: length)
            for line in range {
                window.apply(values.base + line * lineStep, count: length, stride: stride, radius: radius, larger: larger)
            }
        }
    }
}

/// The extreme of each element and the `radius` elements either side of it that lie inside the line, in time
/// proportional to the line's length: a queue holds the indices that can still be the extreme of a later window.
private struct SlidingExtreme {
    private var input: [Float]
    private var queue: [Int]

    init(capacity: Int) {
        input = [Float](repeating: 0, count: capacity)
        queue = [Int](repeating: 0, count: capacity)
    }

    mutating func apply(_ line: UnsafeMutablePointer<Float>, count: Int, stride: Int, radius: Int, larger: Bool) {
        for index in 0..<count { input[index] = line[index * stride] }
        var head = 0, tail = 0, next = 0
        for index in 0..<count {
            let last = min(count - 1, index + radius)
            while next <= last {
                let value = input[next]
                while tail > head, larger ? input[queue[tail - 1]] <= value : input[queue[tail - 1]] >= value { tail -= 1 }
                queue[tail] = next
                tail += 1
                next += 1
            }
            while queue[head] < index - radius { head += 1 }
            line[index * stride] = input[queue[head]]
        }
    }
}

extension Mask {
    /// ComfyUI's GrowMask: `abs(expand)` rounds of 3×3 grey dilation (expand > 0) or erosion (expand < 0),
    /// like scipy's grey_dilation/grey_erosion. With tapered corners the footprint is a plus shape,
    /// otherwise the full square. Reads past the border see the edge value, which leaves max/min unchanged.
    public func grown(by expand: Int, taperedCorners: Bool) -> Mask {
        guard expand != 0, width > 0, height > 0 else { return self }
        var current = values
        for _ in 0..<abs(expand) {
            current =
                expand > 0
                ? Self.round(current, Larger.self, batch: batchCount, height: height, width: width, plus: taperedCorners)
                : Self.round(current, Smaller.self, batch: batchCount, height: height, width: width, plus: taperedCorners)
        }
        return Mask(batchCount: batchCount, height: height, width: width, values: current)
    }

    /// One 3×3 round. The square footprint runs as a row pass then a column pass: the extreme of
    /// extremes is the same value, found with 6 comparisons instead of 8.
    private static func round<E: Extreme>(
        _ values: [Float], _: E.Type, batch: Int, height: Int, width: Int, plus: Bool
    ) -> [Float] {
        var across = [Float](repeating: 0, count: values.count)
        var result = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { sourceBuffer in
            across.withUnsafeMutableBufferPointer { acrossBuffer in
                result.withUnsafeMutableBufferPointer { resultBuffer in
                    let source = SharedSource(sourceBuffer), rows = SharedPointer(acrossBuffer)
                    let target = SharedPointer(resultBuffer)
                    // Row pass: each value with its left and right neighbours.
                    ParallelRows.forEach(batch * height, samplesPerRow: width) { range in
                        for line in range {
                            let row = source.base + line * width, out = rows.base + line * width
                            out[0] = width > 1 ? E.pick(row[0], row[1]) : row[0]
                            if width > 1 {
                                for x in 1..<(width - 1) { out[x] = E.pick(E.pick(row[x - 1], row[x]), row[x + 1]) }
                                out[width - 1] = E.pick(row[width - 2], row[width - 1])
                            }
                        }
                    }
                    // Column pass: the plus shape takes the row pass's centre row and the plain rows
                    // above and below; the square takes the row pass's three rows.
                    let vertical: SharedSource<Float> = plus ? source : SharedSource(UnsafeBufferPointer(acrossBuffer))
                    ParallelRows.forEach(batch * height, samplesPerRow: width) { range in
                        for line in range {
                            let y = line % height
                            let centre = UnsafePointer(rows.base + line * width), out = target.base + line * width
                            let above = y > 0 ? vertical.base + (line - 1) * width : nil
                            let below = y < height - 1 ? vertical.base + (line + 1) * width : nil
                            switch (above, below) {
                            case let (above?, below?):
                                for x in 0..<width { out[x] = E.pick(E.pick(centre[x], above[x]), below[x]) }
                            case let (above?, nil):
                                for x in 0..<width { out[x] = E.pick(centre[x], above[x]) }
                            case let (nil, below?):
                                for x in 0..<width { out[x] = E.pick(centre[x], below[x]) }
                            case (nil, nil):
                                for x in 0..<width { out[x] = centre[x] }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}

/// The comparison a morphology round keeps: the larger value (dilation) or the smaller (erosion).
private protocol Extreme {
    static func pick(_ a: Float, _ b: Float) -> Float
}

private enum Larger: Extreme {
    static func pick(_ a: Float, _ b: Float) -> Float { max(a, b) }
}

private enum Smaller: Extreme {
    static func pick(_ a: Float, _ b: Float) -> Float { min(a, b) }
}

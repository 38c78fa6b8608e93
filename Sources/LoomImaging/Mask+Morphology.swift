extension Mask {
    /// ComfyUI's GrowMask: `abs(expand)` rounds of 3×3 grey dilation (expand > 0) or erosion (expand < 0),
    /// like scipy's grey_dilation/grey_erosion. With tapered corners the footprint is a plus shape,
    /// otherwise the full square. Reads past the border see the edge value, which leaves max/min unchanged.
    public func grown(by expand: Int, taperedCorners: Bool) -> Mask {
        guard expand != 0 else { return self }
        let dilates = expand > 0
        let offsets: [(Int, Int)] =
            taperedCorners
            ? [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
            : (-1...1).flatMap { dy in (-1...1).map { dx in (dy, dx) } }
        var current = values
        var next = values
        for _ in 0..<abs(expand) {
            for batch in 0..<batchCount {
                let base = batch * frameSize
                for y in 0..<height {
                    for x in 0..<width {
                        var extreme = current[base + y * width + x]
                        for (dy, dx) in offsets {
                            let ny = y + dy, nx = x + dx
                            guard ny >= 0, ny < height, nx >= 0, nx < width else { continue }
                            let value = current[base + ny * width + nx]
                            extreme = dilates ? max(extreme, value) : min(extreme, value)
                        }
                        next[base + y * width + x] = extreme
                    }
                }
            }
            swap(&current, &next)
        }
        return Mask(batchCount: batchCount, height: height, width: width, values: current)
    }
}

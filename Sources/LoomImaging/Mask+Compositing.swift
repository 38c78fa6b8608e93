/// How MaskComposite combines a source mask with the destination.
public enum MaskOperation: String, Sendable, CaseIterable {
    case multiply, add, subtract
    /// Logical operations on values rounded to 0 or 1.
    case and, or, xor

    func apply(_ destination: Float, _ source: Float) -> Float {
        // torch.round rounds halves to even, as `rounded(.toNearestOrEven)` does.
        let a = destination.rounded(.toNearestOrEven) != 0, b = source.rounded(.toNearestOrEven) != 0
        switch self {
        case .multiply: return destination * source
        case .add: return destination + source
        case .subtract: return destination - source
        case .and: return a && b ? 1 : 0
        case .or: return a || b ? 1 : 0
        case .xor: return a != b ? 1 : 0
        }
    }
}

extension Mask {
    /// ComfyUI's MaskComposite: `source` combined into this mask with its top-left corner at (`x`, `y`),
    /// then everything clamped to 0...1. A shorter source batch repeats (PyTorch broadcasts a batch of one).
    public func compositing(source: Mask, x: Int, y: Int, operation: MaskOperation) -> Mask {
        let left = min(max(x, 0), width), top = min(max(y, 0), height)
        let visibleWidth = min(source.width, width - left), visibleHeight = min(source.height, height - top)
        guard source.batchCount > 0 else { return self }
        var result = self
        result.withMutableValues { target in
            for batch in 0..<batchCount {
                let sourceBatch = batch % source.batchCount
                for row in 0..<visibleHeight {
                    for column in 0..<visibleWidth {
                        let index = (batch * height + top + row) * width + left + column
                        target[index] = operation.apply(target[index], source[sourceBatch, row, column])
                    }
                }
            }
            for index in target.indices { target[index] = min(max(target[index], 0), 1) }
        }
        return result
    }

    /// The rectangle `x..<x+width, y..<y+height` of every mask, clipped to the mask.
    public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) -> Mask {
        let image = self.image(channels: 1).cropped(x: x, y: y, width: cropWidth, height: cropHeight)
        return Mask(batchCount: batchCount, height: image.height, width: image.width, values: image.pixels)
    }

    /// ComfyUI's FeatherMask: the outer `left`, `top`, `right` and `bottom` lines fade linearly to 0.
    ///
    /// ComfyUI addresses right and bottom lines as `-x` for x = 0..<n, so it scales the first column (row)
    /// by 1/n and leaves the last one as it is; Loom does the same so results match.
    public func feathered(left: Int, top: Int, right: Int, bottom: Int) -> Mask {
        let left = min(left, width), right = min(right, width)
        let top = min(top, height), bottom = min(bottom, height)
        var result = self
        result.withMutableValues { values in
            func scaleColumn(_ column: Int, by rate: Float) {
                for batch in 0..<batchCount {
                    for row in 0..<height { values[(batch * height + row) * width + column] *= rate }
                }
            }
            func scaleRow(_ row: Int, by rate: Float) {
                for batch in 0..<batchCount {
                    for column in 0..<width { values[(batch * height + row) * width + column] *= rate }
                }
            }
            for x in 0..<left { scaleColumn(x, by: Float(Double(x + 1) / Double(left))) }
            for x in 0..<right { scaleColumn((width - x) % width, by: Float(Double(x + 1) / Double(right))) }
            for y in 0..<top { scaleRow(y, by: Float(Double(y + 1) / Double(top))) }
            for y in 0..<bottom { scaleRow((height - y) % height, by: Float(Double(y + 1) / Double(bottom))) }
        }
        return result
    }
}

/// One change an adapter file (a LoRA) makes to one weight. Patches are applied in f32 to one tensor at
/// a time as that tensor is placed on the device (`ModelWeights`), as ComfyUI's `calculate_weight` does,
/// so a patched model never exists as an f32 copy.
public struct WeightPatch: Sendable {
    public enum Change: Sendable {
        /// `strength · scale · up · down`, scale `alpha / rank` (1 without alpha). `mid` is LoCon's
        /// convolution core between the two.
        case lowRank(up: HostTensor, down: HostTensor, mid: HostTensor?, alpha: Float?)
        /// `strength · difference`: a full-size `diff` or `diff_b`.
        case difference(HostTensor)
    }

    public var change: Change
    public var strength: Float
    /// The rows (first dimension) of the weight the change covers, nil for all: diffusers' separate
    /// q, k and v patch slices of BFL's fused matrices.
    public var rows: Range<Int>?
    /// Whether the change's two row halves swap before it is added: diffusers' `norm_out` holds
    /// (shift, scale) where BFL's `final_layer.adaLN_modulation.1` holds (scale, shift).
    public var swapsHalves: Bool

    public init(_ change: Change, strength: Float, rows: Range<Int>? = nil, swapsHalves: Bool = false) {
        self.change = change
        self.strength = strength
        self.rows = rows
        self.swapsHalves = swapsHalves
    }

    /// How many values the change has, to check against its target before anything is built.
    public var valueCount: Int {
        switch change {
        case .lowRank(let up, let down, let mid, _):
            up.shape[0] * (mid.map { [down.shape[1]] + Array($0.shape.dropFirst(2)) } ?? Array(down.shape.dropFirst())).reduce(1, *)
        case .difference(let values):
            values.count
        }
    }

    /// The change as row-major f32 values, strength and scale applied (before any half swap).
    func delta() -> [Float] {
        switch change {
        case .difference(let values):
            return values.values.map { strength * $0 }
        case .lowRank(let up, let down, let mid, let alpha):
            let rank = down.shape[0]
            let scale = strength * (alpha.map { $0 / Float(rank) } ?? 1)
            let downValues = mid.map { Self.throughCore(down: down, mid: $0) } ?? down.values
            let columns = downValues.count / max(rank, 1)
            let outputs = up.shape[0]
            let upRank = up.count / max(outputs, 1)
            var result = [Float](repeating: 0, count: outputs * columns)
            var product = [Float](repeating: 0, count: columns)
            for row in 0..<outputs {
                for column in 0..<columns { product[column] = 0 }
                for r in 0..<min(rank, upRank) {
                    let a = up.values[row * upRank + r]
                    if a == 0 { continue }
                    let base = r * columns
                    for column in 0..<columns { product[column] += a * downValues[base + column] }
                }
                for column in 0..<columns { result[row * columns + column] = scale * product[column] }
            }
            return result
        }
    }

    /// LoCon's `down` taken through its `mid` core: `[rank, in, kh, kw]` as ComfyUI folds it.
    private static func throughCore(down: HostTensor, mid: HostTensor) -> [Float] {
        let rank = down.shape[0]
        let inputs = down.count / rank
        let outRank = mid.shape[0]
        let kernel = mid.count / max(outRank * rank, 1)   // kh · kw
        // down' [r, i, k] = Σ_q down[q, i] · mid[r, q, k]
        var result = [Float](repeating: 0, count: outRank * inputs * kernel)
        for r in 0..<outRank {
            for i in 0..<inputs {
                for k in 0..<kernel {
                    var sum: Float = 0
                    for q in 0..<rank { sum += down.values[q * inputs + i] * mid.values[(r * rank + q) * kernel + k] }
                    result[(r * inputs + i) * kernel + k] = sum
                }
            }
        }
        return result
    }

    /// `values` (a weight of `shape` named `name`) with `patches` added in order.
    static func apply(_ patches: [WeightPatch], to values: inout [Float], shape: [Int], name: String) throws(ModelLoadingError) {
        let rows = shape.first ?? 1
        let columns = rows == 0 ? 0 : values.count / rows
        for patch in patches {
            let region = patch.rows ?? 0..<rows
            guard region.lowerBound >= 0, region.upperBound <= rows, patch.valueCount == region.count * columns else {
                throw .patchShape(name: name, weightShape: shape, patchValues: patch.valueCount, rows: patch.rows)
            }
            let delta = patch.delta()
            let half = region.count / 2
            for row in 0..<region.count {
                let source = patch.swapsHalves ? (row + half) % region.count : row
                let target = (region.lowerBound + row) * columns
                for column in 0..<columns { values[target + column] += delta[source * columns + column] }
            }
        }
    }
}

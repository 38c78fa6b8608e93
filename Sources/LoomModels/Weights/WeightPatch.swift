import LoomModelFiles

/// One change an adapter file (a LoRA) makes to one weight. Patches are applied in f32 to one tensor at
/// a time as that tensor is placed on the device (`ModelWeights`), as ComfyUI's `calculate_weight` does,
/// so a patched model never exists as an f32 copy.
public struct WeightPatch: Sendable {
    public enum Change: Sendable {
        /// `up · down`, scale `alpha / rank` (1 without alpha). `mid` is LoCon's convolution core between the two.
        case lowRank(up: HostTensor, down: HostTensor, mid: HostTensor?, alpha: Float?)
        /// LoHa: `(w1a · w1b) ⊙ (w2a · w2b)`, scale `alpha / rank of w1b` (1 without alpha).
        case hadamard(w1a: HostTensor, w1b: HostTensor, w2a: HostTensor, w2b: HostTensor, alpha: Float?)
        /// LoKr: `w1 ⊗ w2`, each given whole or as a product of two factors; scale `alpha / rank` of the
        /// factored side (w2's when both are), 1 when neither is factored or without alpha.
        case kronecker(w1: KroneckerFactor, w2: KroneckerFactor, alpha: Float?)
        /// A full-size difference (`diff`, `diff_b`).
        case difference(HostTensor)
        /// New values whatever the strength (`set_weight`: BFL control LoRAs' q/k norm scales).
        case replacement(HostTensor)
        /// Another model's weight (ModelMergeSimple, CLIPMergeSimple): the weight so far is scaled by `keep`,
        /// then `strength ·` the other weight is added; a weight of another shape is left scaled, as in ComfyUI.
        case blend(BlendSource, keep: Float)
    }

    /// A weight of another model, read (with that model's own patches) only when the blended weight is placed.
    public struct BlendSource: Sendable {
        public let file: ModelFile
        /// The full tensor name in `file`.
        public let name: String
        public let patches: [WeightPatch]

        public init(file: ModelFile, name: String, patches: [WeightPatch]) {
            self.file = file
            self.name = name
            self.patches = patches
        }

        /// The weight's shape once its own patches are applied; nil when the file lacks it.
        public var shape: [Int]? { file[name].map { WeightPatch.shape(of: $0.shape, patchedBy: patches) } }

        func values() throws(ModelLoadingError) -> (values: [Float], shape: [Int]) {
            guard let stored = file[name] else { throw .missingTensor(name: name, file: file.path) }
            var values = stored.floats()
            if let scale = file.weightScale(for: name)?.floats(), scale.count == 1 { values = values.map { $0 * scale[0] } }
            var shape = stored.shape
            try WeightPatch.apply(patches, to: &values, shape: &shape, name: name)
            return (values, shape)
        }
    }

    /// One side of a LoKr product.
    public enum KroneckerFactor: Sendable {
        case whole(HostTensor)
        case product(HostTensor, HostTensor)

        /// The factor's shape once multiplied out.
        var shape: [Int] {
            switch self {
            case .whole(let tensor): tensor.shape
            case .product(let a, let b): [a.shape[0]] + b.shape.dropFirst()
            }
        }

        /// The rank of a factored side.
        var rank: Int? { if case .product(_, let b) = self { b.shape[0] } else { nil } }

        func values() -> [Float] {
            switch self {
            case .whole(let tensor): tensor.values
            case .product(let a, let b): WeightPatch.multiply(a.values, b.values, rows: a.shape[0], inner: b.shape[0])
            }
        }
    }

    public var change: Change
    public var strength: Float
    /// The rows (first dimension) of the weight the change covers, nil for all: diffusers' separate
    /// q, k and v patch slices of BFL's fused matrices.
    public var rows: Range<Int>?
    /// Whether the change's two row halves swap before it is added: diffusers' `norm_out` holds
    /// (shift, scale) where BFL's `final_layer.adaLN_modulation.1` holds (scale, shift).
    public var swapsHalves: Bool
    /// DoRA's `dora_scale`: the patched weight's magnitude per output row ([out, 1]) or per input column ([1, in]).
    public var magnitude: HostTensor?
    /// The shape the weight is zero-padded to before the change is added (`reshape_weight`): BFL's Canny and
    /// Depth LoRAs widen `img_in` to take the control latent.
    public var paddedShape: [Int]?

    public init(_ change: Change, strength: Float, rows: Range<Int>? = nil, swapsHalves: Bool = false, magnitude: HostTensor? = nil,
                paddedShape: [Int]? = nil) {
        self.change = change
        self.strength = strength
        self.rows = rows
        self.swapsHalves = swapsHalves
        self.magnitude = magnitude
        self.paddedShape = paddedShape
    }

    /// A weight's shape once `patches` are applied: the last padding's, else the stored one.
    public static func shape(of stored: [Int], patchedBy patches: [WeightPatch]) -> [Int] {
        patches.last { $0.paddedShape != nil }?.paddedShape ?? stored
    }

    /// The change's shape as a weight (`[out, in, …]`), to check against its target before anything is built.
    public static func shape(of change: Change) -> [Int] {
        switch change {
        case .lowRank(let up, let down, let mid, _):
            [up.shape[0]] + (mid.map { [down.shape[1]] + Array($0.shape.dropFirst(2)) } ?? Array(down.shape.dropFirst()))
        case .hadamard(let w1a, let w1b, _, _, _):
            [w1a.shape[0]] + w1b.shape.dropFirst()
        case .kronecker(let w1, let w2, _):
            [w1.shape[0] * w2.shape[0], (w1.shape.count > 1 ? w1.shape[1] : 1) * (w2.shape.count > 1 ? w2.shape[1] : 1)]
                + w2.shape.dropFirst(2)
        case .difference(let values), .replacement(let values):
            values.shape
        case .blend(let source, _):
            source.shape ?? []
        }
    }

    /// The change as row-major f32 values before strength, and the scale (alpha / rank) they take.
    func difference() throws(ModelLoadingError) -> (values: [Float], scale: Float) {
        switch change {
        case .difference(let values), .replacement(let values):
            return (values.values, 1)
        case .blend(let source, _):
            return (try source.values().values, 1)
        case .lowRank(let up, let down, let mid, let alpha):
            let rank = down.shape[0]
            let downValues = mid.map { Self.throughCore(down: down, mid: $0) } ?? down.values
            return (Self.multiply(up.values, downValues, rows: up.shape[0], inner: rank), alpha.map { $0 / Float(rank) } ?? 1)
        case .hadamard(let w1a, let w1b, let w2a, let w2b, let alpha):
            let m1 = Self.multiply(w1a.values, w1b.values, rows: w1a.shape[0], inner: w1b.shape[0])
            let m2 = Self.multiply(w2a.values, w2b.values, rows: w2a.shape[0], inner: w2b.shape[0])
            return (zip(m1, m2).map { $0 * $1 }, alpha.map { $0 / Float(w1b.shape[0]) } ?? 1)
        case .kronecker(let w1, let w2, let alpha):
            let rank = w2.rank ?? w1.rank
            let a = w1.values(), b = w2.values()
            let (aRows, bRows) = (w1.shape[0], w2.shape[0])
            let aColumns = a.count / aRows, bColumns = b.count / bRows
            let kernel = w2.shape.dropFirst(2).reduce(1, *)
            let bInputs = bColumns / kernel
            let columns = aColumns * bColumns
            var result = [Float](repeating: 0, count: aRows * bRows * columns)
            for i in 0..<aRows {
                for j in 0..<aColumns {
                    let factor = a[i * aColumns + j]
                    for k in 0..<bRows {
                        let row = (i * bRows + k) * columns
                        for l in 0..<bInputs {
                            for q in 0..<kernel {
                                result[row + (j * bInputs + l) * kernel + q] = factor * b[(k * bInputs + l) * kernel + q]
                            }
                        }
                    }
                }
            }
            return (result, (alpha != nil && rank != nil) ? alpha! / Float(rank!) : 1)
        }
    }

    /// Row-major `a [rows, inner] · b [inner, n]`.
    static func multiply(_ a: [Float], _ b: [Float], rows: Int, inner: Int) -> [Float] {
        let columns = inner == 0 ? 0 : b.count / inner
        guard rows * inner <= a.count, inner * columns <= b.count else { return [] }
        var result = [Float](repeating: 0, count: rows * columns)
        // Raw buffers: this runs once per patched weight over every element, so bounds checks per element would dominate.
        result.withUnsafeMutableBufferPointer { out in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    for row in 0..<rows {
                        let target = out.baseAddress! + row * columns
                        for r in 0..<inner {
                            let factor = a[row * inner + r]
                            if factor == 0 { continue }
                            let source = b.baseAddress! + r * columns
                            for column in 0..<columns { target[column] += factor * source[column] }
                        }
                    }
                }
            }
        }
        return result
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

    /// `values` (a weight of `shape` named `name`) with `patches` added in order; a padding patch widens
    /// `values` and `shape` first.
    static func apply(_ patches: [WeightPatch], to values: inout [Float], shape: inout [Int], name: String) throws(ModelLoadingError) {
        for patch in patches {
            if let padded = patch.paddedShape, padded != shape {
                values = try pad(values, from: shape, to: padded, name: name)
                shape = padded
            }
            if case .blend(let source, let keep) = patch.change {
                if keep != 1 { values = values.map { $0 * keep } }
                guard source.shape == shape else { continue }
            }
            let rows = shape.first ?? 1
            let columns = rows == 0 ? 0 : values.count / rows
            let region = patch.rows ?? 0..<rows
            let count = Self.shape(of: patch.change).reduce(1, *)
            guard region.lowerBound >= 0, region.upperBound <= rows, count == region.count * columns else {
                throw .patchShape(name: name, weightShape: shape, patchValues: count, rows: patch.rows)
            }
            var (difference, scale) = try patch.difference()
            if patch.swapsHalves {
                let half = region.count / 2 * columns
                difference = Array(difference[half...] + difference[..<half])
            }
            let offset = region.lowerBound * columns
            if case .replacement = patch.change {
                values.replaceSubrange(offset..<(offset + difference.count), with: difference)
            } else if let magnitude = patch.magnitude {
                let inputs = shape.count > 1 ? shape[1] : 1
                try decompose(&values, offset: offset, rows: region.count, columns: columns, inputs: inputs, difference: difference,
                              scale: scale, strength: patch.strength, magnitude: magnitude, name: name)
            } else {
                let factor = patch.strength * scale
                values.withUnsafeMutableBufferPointer { values in
                    difference.withUnsafeBufferPointer { difference in
                        let target = values.baseAddress! + offset
                        for index in 0..<difference.count { target[index] += factor * difference[index] }
                    }
                }
            }
        }
    }

    /// `values` of `shape` zero-padded at the end of every dimension to `padded` (ComfyUI's `pad_tensor_to_shape`).
    private static func pad(_ values: [Float], from shape: [Int], to padded: [Int], name: String) throws(ModelLoadingError) -> [Float] {
        guard padded.count == shape.count, zip(padded, shape).allSatisfy({ $0 >= $1 }), let total = checkedCount(padded) else {
            throw .patchPadding(name: name, weightShape: shape, paddedShape: padded)
        }
        var result = [Float](repeating: 0, count: total)
        let count = shape.reduce(1, *)
        for index in 0..<count {
            var rest = index, target = 0, step = 1
            for axis in (0..<shape.count).reversed() {
                target += (rest % shape[axis]) * step
                rest /= shape[axis]
                step *= padded[axis]
            }
            result[target] = values[index]
        }
        return result
    }

    /// The element count of a shape, nil when it overflows or a side is negative.
    private static func checkedCount(_ shape: [Int]) -> Int? {
        var total = 1
        for side in shape {
            guard side >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: side)
            guard !overflow else { return nil }
            total = product
        }
        return total
    }

    /// DoRA (ComfyUI's `weight_decompose`): `W + scale·ΔW` renormalised to the stored magnitude, per output row
    /// (norms of the original weight) or per input channel (norms of the changed weight), blended by strength.
    private static func decompose(_ values: inout [Float], offset: Int, rows: Int, columns: Int, inputs: Int, difference: [Float],
                                  scale: Float, strength: Float, magnitude tensor: HostTensor, name: String) throws(ModelLoadingError) {
        let magnitude = tensor.values
        let epsilon = Float.ulpOfOne
        var changed = (0..<difference.count).map { values[offset + $0] + scale * difference[$0] }
        let kernel = max(columns / max(inputs, 1), 1)
        if tensor.shape.first == rows, magnitude.count == rows {
            for row in 0..<rows {
                var sum: Float = 0
                for column in 0..<columns { sum += values[offset + row * columns + column] * values[offset + row * columns + column] }
                let factor = magnitude[row] / (sum.squareRoot() + epsilon)
                for column in 0..<columns { changed[row * columns + column] *= factor }
            }
        } else if magnitude.count == inputs {
            var sums = [Float](repeating: 0, count: inputs)
            for index in 0..<changed.count { sums[(index % columns) / kernel] += changed[index] * changed[index] }
            for index in 0..<changed.count {
                let input = (index % columns) / kernel
                changed[index] *= magnitude[input] / (sums[input].squareRoot() + epsilon)
            }
        } else {
            throw .patchShape(name: name + " (dora_scale)", weightShape: [rows, columns], patchValues: magnitude.count, rows: nil)
        }
        for index in 0..<changed.count { values[offset + index] += strength * (changed[index] - values[offset + index]) }
    }
}

/// Data movement (copy.comp): a generic strided copy of up to six dimensions, and the layout
/// operators built on it as views plus one copy. Tensors may be f32, f16 or bf16; results keep
/// their input's dtype.

extension CommandRecorder {
    /// Copies `source` into `destination`, a view of the same shape (for example a slice of a
    /// larger tensor); each is f32, f16 or bf16, and values convert to the destination's dtype
    /// (rounding to nearest even).
    public func copy(_ source: Tensor, into destination: Tensor) throws(VulkanError) {
        let sourceStorage = try context.activationStorageCode(source, "copy", "source")
        let destinationStorage = try context.activationStorageCode(destination, "copy", "destination")
        guard source.shape == destination.shape else { throw .invalidArgument("copy: shapes \(source.shape) and \(destination.shape) differ") }
        let merged = collapseDimensions(shape: source.shape, strides: [source.strides, destination.strides])
        let rank = merged.shape.count
        guard rank <= 6 else { throw .invalidArgument("copy: layout of shape \(source.shape) needs \(rank) > 6 dimensions") }
        if sourceStorage == 0, destinationStorage == 0, let transposed = TexelTranspose(merged, source: source, destination: destination,
                                                                                      on: context) {
            return try dispatchTranspose(transposed, source: source, destination: destination)
        }
        let padding = 6 - rank
        var push = PushConstants()
        push.append(Array(repeating: 1, count: padding) + merged.shape)
        for strides in merged.strides { push.append(Array(repeating: 0, count: padding) + strides) }
        push.append([source.offset, destination.offset, source.count])
        if sourceStorage == 0, destinationStorage == 0, context.matmulKernel == .texels, movesInQuads(merged, source, destination) {
            let pipeline = try context.pipelines.pipeline(.copyQuads, bindings: 2, texelBindings: 1, constants: [UInt32(rank)])
            try dispatch(pipeline, buffers: [source.storage, destination.storage], texels: [(source.storage, .rgba32Float)],
                         written: [1], push: push, groups: linearGroups(source.count / 4))
            return
        }
        // All-f32 keeps the variant without 16-bit storage, which every device runs.
        let sixteenBit = sourceStorage != 0 || destinationStorage != 0
        let pipeline = try context.pipelines.pipeline(sixteenBit ? .copy16 : .copy, bindings: 2,
                                                      constants: [UInt32(rank)] + (sixteenBit ? [sourceStorage, destinationStorage] : []))
        try dispatch(pipeline, buffers: [source.storage, destination.storage], written: [1], push: push, groups: linearGroups(source.count))
    }

    /// True when copy.comp's QUADS kernel can move `merged` 4 values at a time: f32 on both sides, the last dimension
    /// contiguous on both with a size that is a multiple of 4, and every other stride and both offsets multiples of 4.
    private func movesInQuads(_ merged: (shape: [Int], strides: [[Int]]), _ source: Tensor, _ destination: Tensor) -> Bool {
        guard source.dtype == .f32, destination.dtype == .f32, let last = merged.shape.last, last % 4 == 0,
              source.offset % 4 == 0, destination.offset % 4 == 0 else { return false }
        return merged.strides.allSatisfy { strides in strides.last == 1 && strides.dropLast().allSatisfy { $0 % 4 == 0 } }
    }

    /// A contiguous tensor of `x` with its dimensions in `order` (dimension `i` of the result is
    /// dimension `order[i]` of `x`).
    public func permute(_ x: Tensor, _ order: [Int]) throws(VulkanError) -> Tensor {
        try materialized(x.permuted(order))
    }

    /// A contiguous copy of the elements `range` along `axis`.
    public func slice(_ x: Tensor, axis: Int, _ range: Range<Int>) throws(VulkanError) -> Tensor {
        try materialized(x.sliced(axis: axis, range))
    }

    /// The tensors joined along `axis`; all other dimensions must agree. Inputs may mix f32, f16
    /// and bf16; the result is `dtype`, by default the first input's.
    public func concatenate(_ tensors: [Tensor], axis: Int, dtype: DType? = nil) throws(VulkanError) -> Tensor {
        guard let first = tensors.first, first.shape.indices.contains(axis) else {
            throw .invalidArgument("concatenate: need at least one tensor with an axis \(axis)")
        }
        for t in tensors {
            var expected = first.shape, actual = t.shape
            guard expected.count == actual.count else { throw .invalidArgument("concatenate: ranks of \(first.shape) and \(t.shape) differ") }
            expected[axis] = 0
            actual[axis] = 0
            guard expected == actual else { throw .invalidArgument("concatenate: \(t.shape) does not match \(first.shape) off axis \(axis)") }
        }
        var shape = first.shape
        shape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let output = try context.makeTensor(shape: shape, dtype: dtype ?? first.dtype)
        var start = 0
        for t in tensors where t.shape[axis] > 0 {
            try copy(t, into: output.sliced(axis: axis, start..<(start + t.shape[axis])))
            start += t.shape[axis]
        }
        return output
    }

    /// PyTorch's `pixel_unshuffle`: [N, C, H·r, W·r] → [N, C·r², H, W].
    public func pixelUnshuffle(_ x: Tensor, factor r: Int) throws(VulkanError) -> Tensor {
        let (n, c, h, w) = try spatialBlocks(x, factor: r, "pixelUnshuffle")
        // [N, C, H, r, W, r] → [N, C, r, r, H, W]
        let split = Tensor(storage: x.storage, dtype: x.dtype, shape: [n, c, h, r, w, r],
                           strides: [x.strides[0], x.strides[1], x.strides[2] * r, x.strides[2], x.strides[3] * r, x.strides[3]], offset: x.offset)
        return try materialized(split.permuted([0, 1, 3, 5, 2, 4])).reshaped([n, c * r * r, h, w])
    }

    /// Flux's latent packing: [N, C, 2H, 2W] → [N, H·W, C·4] (tokens of 2×2 patches,
    /// `b c (h ph) (w pw) -> b (h w) (c ph pw)`).
    public func packLatents(_ x: Tensor) throws(VulkanError) -> Tensor {
        let (n, c, h, w) = try spatialBlocks(x, factor: 2, "packLatents")
        let split = Tensor(storage: x.storage, dtype: x.dtype, shape: [n, c, h, 2, w, 2],
                           strides: [x.strides[0], x.strides[1], x.strides[2] * 2, x.strides[2], x.strides[3] * 2, x.strides[3]], offset: x.offset)
        return try materialized(split.permuted([0, 2, 4, 1, 3, 5])).reshaped([n, h * w, c * 4])
    }

    /// The inverse of `packLatents`: [N, H·W, C·4] → [N, C, 2H, 2W] for a latent of `height` ×
    /// `width` patches.
    public func unpackLatents(_ x: Tensor, height h: Int, width w: Int) throws(VulkanError) -> Tensor {
        guard x.rank == 3, x.shape[1] == h * w, x.shape[2] % 4 == 0 else {
            throw .invalidArgument("unpackLatents: \(x.shape) is not [N, \(h)·\(w), C·4]")
        }
        let (n, c) = (x.shape[0], x.shape[2] / 4)
        // Token (i, j), feature (c, ph, pw) → pixel (c, 2i + ph, 2j + pw).
        let split = Tensor(storage: x.storage, dtype: x.dtype, shape: [n, c, h, 2, w, 2],
                           strides: [x.strides[0], 4 * x.strides[2], w * x.strides[1], 2 * x.strides[2], x.strides[1], x.strides[2]], offset: x.offset)
        let output = try context.makeTensor(shape: [n, c, 2 * h, 2 * w], dtype: x.dtype)
        try copy(split, into: output.reshaped([n, c, h, 2, w, 2]))
        return output
    }

    private func dispatchTranspose(_ transpose: TexelTranspose, source: Tensor, destination: Tensor) throws(VulkanError) {
        var push = PushConstants()
        push.append([1, 1, 1] + transpose.shape)
        push.append([0, 0, 0] + transpose.sourceStrides)
        push.append([0, 0, 0, 0, 0, 0])
        push.append([source.offset, destination.offset, source.count])
        let pipeline = try context.pipelines.pipeline(.transposeTexels, bindings: 2, texelBindings: 1)
        try dispatch(pipeline, buffers: [source.storage, destination.storage], texels: [(source.storage, .rgba32Float)], written: [1],
                     push: push, groups: linearGroups(source.count / 16))
    }

    private func materialized(_ view: Tensor) throws(VulkanError) -> Tensor {
        let output = try context.makeTensor(shape: view.shape, dtype: view.dtype)
        try copy(view, into: output)
        return output
    }

    private func spatialBlocks(_ x: Tensor, factor r: Int, _ name: String) throws(VulkanError) -> (Int, Int, Int, Int) {
        guard x.rank == 4, r > 0, x.shape[2] % r == 0, x.shape[3] % r == 0 else {
            throw .invalidArgument("\(name): \(x.shape) is not [N, C, H, W] with H and W multiples of \(r)")
        }
        return (x.shape[0], x.shape[1], x.shape[2] / r, x.shape[3] / r)
    }
}

/// A copy that is a batch of 2-D transposes on f32 tensors which CPU devices move in 4 × 4 blocks (copy.comp's
/// TRANSPOSE): into a contiguous [B, A, C] from a source that runs along A with stride 1, with every size, stride and
/// offset the blocks touch a multiple of 4.
struct TexelTranspose {
    /// [B, A, C].
    let shape: [Int]
    /// The source's strides along B, A (1) and C.
    let sourceStrides: [Int]

    init?(_ merged: (shape: [Int], strides: [[Int]]), source: Tensor, destination: Tensor, on context: VulkanContext) {
        guard context.matmulKernel == .texels, source.dtype == .f32, destination.dtype == .f32,
              (2...3).contains(merged.shape.count) else { return nil }
        let padding = 3 - merged.shape.count
        let shape = Array(repeating: 1, count: padding) + merged.shape
        let from = Array(repeating: 0, count: padding) + merged.strides[0]
        let to = Array(repeating: 0, count: padding) + merged.strides[1]
        let (a, c) = (shape[1], shape[2])
        guard from[1] == 1, to == [shape[0] == 1 ? to[0] : a * c, c, 1],
              [a, c, from[2], source.offset, destination.offset].allSatisfy({ $0 % 4 == 0 }),
              shape[0] == 1 || from[0] % 4 == 0 else { return nil }
        self.shape = shape
        sourceStrides = from
    }
}

/// Scaled-dot-product attention (attention.comp; attention_coopmat.comp where the context uses
/// cooperative matrices): flash style, never materialising the queries × keys score matrix.
/// Q, K, V and the output may each be stored f32, f16 or bf16 (the `_16` variants, storage16.glsl);
/// the softmax and the accumulation run in f32, and the additive bias is f32.

extension CommandRecorder {
    /// `softmax(scale · q·kᵀ + bias) · v` per batch and head. `q` is [B, H, Lq, D], `k` and `v`
    /// are [B, H, Lk, D] (f32, f16 or bf16 views with a contiguous last dimension; D a multiple
    /// of 4). `bias` (f32, additive, -inf masks) broadcasts to [B, H, Lq, Lk]. `scale` defaults to 1/√D.
    /// The result, of `outputDType`, is a contiguous [B, H, Lq, D], or with `mergingHeads` a contiguous
    /// [B, Lq, H·D] (the heads side by side, as the projection after attention reads them; no permute needed).
    public func attention(query q: Tensor, key k: Tensor, value v: Tensor, bias: Tensor? = nil, scale: Float? = nil,
                          mergingHeads: Bool = false, outputDType: DType = .f32) throws(VulkanError) -> Tensor {
        guard q.rank == 4 else { throw .invalidArgument("attention: query must be [B, H, L, D], not \(q.shape)") }
        let (output, view) = try attentionOutput(like: q, mergingHeads: mergingHeads, dtype: outputDType)
        try attention(q, k, v, bias: bias, scale: scale, into: view)
        return output
    }

    /// A new output of `dtype` for queries shaped like `q` ([B, H, Lq, D]) and the [B, H, Lq, D]
    /// view the shader writes it through.
    private func attentionOutput(like q: Tensor, mergingHeads: Bool, dtype: DType) throws(VulkanError) -> (Tensor, Tensor) {
        guard mergingHeads else {
            let output = try context.makeTensor(shape: q.shape, dtype: dtype)
            return (output, output)
        }
        let (batch, heads, queries, depth) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let output = try context.makeTensor(shape: [batch, queries, heads * depth], dtype: dtype)
        return (output, Tensor(storage: output.storage, dtype: output.dtype, shape: q.shape,
                               strides: [queries * heads * depth, depth, heads * depth, 1], offset: output.offset))
    }

    /// Attention over [B, L, heads·D] tensors, the layout of Flux's fused projections: heads are
    /// strided views, nothing is permuted in memory. `bias` broadcasts to [B, heads, Lq, Lk].
    /// The result is a contiguous [B, Lq, heads·D] of `outputDType`.
    public func attention(query q: Tensor, key k: Tensor, value v: Tensor, heads: Int, bias: Tensor? = nil,
                          scale: Float? = nil, outputDType: DType = .f32) throws(VulkanError) -> Tensor {
        func split(_ t: Tensor, _ role: String) throws(VulkanError) -> Tensor {
            guard t.rank == 3, heads > 0, t.shape[2] % heads == 0 else {
                throw .invalidArgument("attention: \(role) must be [B, L, heads·D] with \(heads) heads, not \(t.shape)")
            }
            let d = t.shape[2] / heads
            guard d <= 1 || t.strides[2] == 1 else { throw .invalidArgument("attention: \(role) needs a contiguous last dimension, strides \(t.strides)") }
            // [B, L, H, D] → [B, H, L, D] as strides.
            return Tensor(storage: t.storage, dtype: t.dtype, shape: [t.shape[0], heads, t.shape[1], d],
                          strides: [t.strides[0], d, t.strides[1], 1], offset: t.offset)
        }
        let output = try context.makeTensor(shape: q.shape, dtype: outputDType)
        try attention(split(q, "query"), split(k, "key"), split(v, "value"), bias: bias, scale: scale, into: split(output, "output"))
        return output
    }

    /// Attention of [B, H, Lq, D] queries with a bias that is constant over runs of consecutive queries
    /// (`QueryRunBias`): one dispatch per run, its bias row broadcast over the run's queries inside the
    /// shader. The result is a contiguous [B, H, Lq, D], or [B, Lq, H·D] with `mergingHeads`, of `outputDType`.
    public func attention(query q: Tensor, key k: Tensor, value v: Tensor, bias: QueryRunBias, scale: Float? = nil,
                          mergingHeads: Bool = false, outputDType: DType = .f32) throws(VulkanError) -> Tensor {
        guard q.rank == 4, k.rank == 4 else { throw .invalidArgument("attention: query and key must be [B, H, L, D], not \(q.shape) and \(k.shape)") }
        guard bias.runLengths.reduce(0, +) == q.shape[2], bias.rows.shape[1] == k.shape[2] else {
            throw .invalidArgument("attention: query runs \(bias.runLengths) with bias rows \(bias.rows.shape) do not fit \(q.shape[2]) queries and \(k.shape[2]) keys")
        }
        let (output, view) = try attentionOutput(like: q, mergingHeads: mergingHeads, dtype: outputDType)
        var start = 0
        for (run, length) in bias.runLengths.enumerated() {
            let queries = start..<(start + length)
            start += length
            if length == 0 { continue }
            try attention(q.sliced(axis: 2, queries), k, v, bias: bias.rows.sliced(axis: 0, run..<(run + 1)), scale: scale,
                          into: view.sliced(axis: 2, queries))
        }
        return output
    }

    /// Writes into `o`, a [B, H, Lq, D] view with a contiguous last dimension, in its dtype.
    func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, scale: Float?, into o: Tensor) throws(VulkanError) {
        var storageCodes: [UInt32] = []  // Q, K, V, O
        for (t, role) in [(q, "query"), (k, "key"), (v, "value"), (o, "output")] {
            storageCodes.append(try context.activationStorageCode(t, "attention", role))
            guard t.rank == 4 else { throw .invalidArgument("attention: \(role) must be [B, H, L, D], not \(t.shape)") }
            guard t.strides[3] == 1 || t.shape[3] == 1 else { throw .invalidArgument("attention: \(role) needs a contiguous last dimension, strides \(t.strides)") }
        }
        let (batch, heads, queries, depth) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let keys = k.shape[2]
        guard k.shape == [batch, heads, keys, depth], v.shape == k.shape, o.shape == q.shape else {
            throw .invalidArgument("attention: key \(k.shape), value \(v.shape) and output \(o.shape) do not fit query \(q.shape)")
        }
        guard depth % 4 == 0, depth > 0 else { throw .invalidArgument("attention: head dimension \(depth) is not a positive multiple of 4") }
        guard keys > 0 else { throw .invalidArgument("attention: no keys") }
        var biasStrides = [0, 0, 0, 0]
        if let bias {
            try requireF32(bias, "attention", "bias")
            guard bias.rank <= 4, broadcastShape(bias.shape, [batch, heads, queries, keys]) == [batch, heads, queries, keys] else {
                throw .invalidArgument("attention: bias \(bias.shape) does not broadcast to \([batch, heads, queries, keys])")
            }
            biasStrides = broadcastStrides(bias, to: [batch, heads, queries, keys])
        }
        if queries == 0 || batch * heads == 0 { return }
        var push = PushConstants()
        push.append([heads, queries, keys])
        push.append(scale ?? 1 / Float(depth).squareRoot())
        for t in [q, k, v, o] {
            push.append(Array(t.strides.prefix(3)))
            push.append(t.offset)
        }
        push.append(biasStrides)
        push.append(bias?.offset ?? 0)
        let buffers = [q.storage, k.storage, v.storage, bias?.storage ?? q.storage, o.storage]
        // A 16-bit tensor takes the _16 variant; its storage codes follow the other constants.
        let sixteenBit = storageCodes.contains { $0 != 0 }
        let storageConstants = sixteenBit ? storageCodes : []
        if context.usesCooperativeMatrices, let shape = context.cooperativeAttentionShape(headDimension: depth, queries: queries),
           try cooperativeAttention(q, k, v, into: o, shape: shape, push: push, buffers: buffers, biased: bias != nil,
                                    storageCodes: storageConstants) {
            return
        }
        push.append(keys)
        // Texel fetches need f32 K and V (no texel format holds bf16; 16-bit K or V take the plain
        // kernel) with rows on whole texels of 4 floats.
        let texelAligned = [k.offset, k.strides[0], k.strides[1], k.strides[2], v.offset, v.strides[0], v.strides[1], v.strides[2]]
            .allSatisfy { $0 % 4 == 0 }
        let texels = context.device.info.kind == .cpu && texelAligned && k.dtype == .f32 && v.dtype == .f32
        // On CPU devices each invocation takes several queries so every K/V fetch serves them all, as many as keep
        // rows × head dimension at 256 (at most 8): more rows ran faster on llvmpipe (`bench ops`, 2 cores: heads of
        // 32 with 8 rows 1.65× faster than with 2, heads of 64 with 4 rows 1.3× at 1024 tokens), but past that
        // footprint their registers spill and LLVM compiles the variant several times slower.
        let rowsPerInvocation = texels ? max(1, min(8, 256 / depth)) : 1
        // Every lane reads the same key and value rows: where subgroups shuffle, the lanes share those fetches (constant 7).
        let sharing = texels && !sixteenBit ? context.fetchSharingSubgroupSize : nil
        let constants: [UInt32] = [UInt32(depth), UInt32(rowsPerInvocation), bias == nil ? 0 : 1] + storageConstants
            + (sharing.map { [0, 0, 0, 0, UInt32($0)] } ?? [])
        let variant: ShaderVariant = switch (texels, sixteenBit) {
        case (false, false): .attention
        case (false, true): .attention16
        case (true, false): sharing != nil ? .attentionTexelsShared : .attentionTexels
        case (true, true): .attentionTexels16
        }
        let pipeline = try context.pipelines.pipeline(variant, bindings: 5, texelBindings: texels ? 2 : 0, constants: constants)
        let rowsPerGroup = Self.linearWorkgroupSize * rowsPerInvocation
        try dispatch(pipeline, buffers: buffers, texels: texels ? [(k.storage, .rgba32Float), (v.storage, .rgba32Float)] : [], written: [4], push: push,
                     groups: ((queries + rowsPerGroup - 1) / rowsPerGroup, 1, batch * heads))
    }
    /// attention_coopmat, split over the keys (`attention_combine` merging the ranges) when the grid is small; false,
    /// dispatching nothing, when the driver cannot build the variant, so that the caller runs the portable kernels.
    /// `push` holds every push constant but the keys per range; `storageCodes` is empty for f32 tensors.
    private func cooperativeAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, into o: Tensor, shape: CooperativeAttentionShape,
                                      push: PushConstants, buffers: [DeviceBuffer], biased: Bool, storageCodes: [UInt32]) throws(VulkanError) -> Bool {
        let (batch, heads, queries, depth, keys) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3], k.shape[2])
        let sixteenBit = !storageCodes.isEmpty
        let workgroupSize = shape.rowTiles * context.device.cooperativeMatrix.subgroupSize
        let constants = [workgroupSize, depth, biased ? 1 : 0, shape.tile, shape.keyTiles, shape.rowTiles].map { UInt32($0) } + storageCodes
        let rowsPerGroup = shape.rowTiles * shape.tile
        let rowGroups = (queries + rowsPerGroup - 1) / rowsPerGroup
        var push = push
        guard let keysPerSplit = shape.keysPerSplit(keys: keys, workgroups: rowGroups * batch * heads) else {
            guard let pipeline = context.pipelines.optionalPipeline(sixteenBit ? .attentionCoopmat16 : .attentionCoopmat, bindings: 5,
                                                                    constants: constants) else { return false }
            push.append(keys)
            try dispatch(pipeline, buffers: buffers, written: [4], push: push, groups: (rowGroups, 1, batch * heads))
            return true
        }
        guard let pipeline = context.pipelines.optionalPipeline(sixteenBit ? .attentionCoopmatSplit16 : .attentionCoopmatSplit, bindings: 6,
                                                                constants: constants) else { return false }
        let splits = (keys + keysPerSplit - 1) / keysPerSplit
        let partials = try context.makeTensor(shape: [batch * heads, splits, queries, depth + 2])
        push.append(keysPerSplit)
        try dispatch(pipeline, buffers: buffers + [partials.storage], written: [5], push: push, groups: (rowGroups, splits, batch * heads))
        var combinePush = PushConstants()
        combinePush.append([heads, queries, depth, splits])
        combinePush.append(Array(o.strides.prefix(3)))
        combinePush.append(o.offset)
        let outputCode = sixteenBit ? storageCodes[3] : 0
        let combine = try context.pipelines.pipeline(outputCode == 0 ? .attentionCombine : .attentionCombine16, bindings: 2,
                                                     constants: outputCode == 0 ? [] : [outputCode])
        try dispatch(combine, buffers: [partials.storage, o.storage], written: [1], push: combinePush,
                     groups: ((queries + Self.linearWorkgroupSize - 1) / Self.linearWorkgroupSize, 1, batch * heads))
        return true
    }
}

extension VulkanContext {
    /// True when attention with heads of `headDimension` values runs the cooperative-matrix kernel
    /// (`attention_coopmat`) if the context uses cooperative matrices: the device has them, the build
    /// compiled the variant, and the dimension is a multiple of the device's tile that fits its shared memory.
    public func cooperativeAttentionAvailable(headDimension: Int) -> Bool {
        cooperativeAttentionShape(headDimension: headDimension, queries: 1) != nil
    }

    /// The kernel's tile (CM), key tiles per block and row tiles (subgroups) per workgroup when it runs,
    /// else nil (the f32 kernels run).
    func cooperativeAttentionShape(headDimension depth: Int, queries: Int) -> CooperativeAttentionShape? {
        guard let tile = device.cooperativeMatrix.tileSize, ShaderVariant.attentionCoopmat.isAvailable,
              depth > 0, depth % tile == 0 else { return nil }
        // More row tiles share each K and V block loaded; more key tiles mean fewer steps. No more row
        // tiles than the queries fill.
        let rowTileLimit = max(1, (queries + tile - 1) / tile)
        let candidates = [(rows: 4, keys: 2), (2, 4), (2, 2), (1, 4), (1, 2), (1, 1)].filter { $0.rows <= rowTileLimit }
        return candidates.lazy.map { CooperativeAttentionShape(tile: tile, keyTiles: $0.keys, rowTiles: $0.rows) }
            .first { $0.sharedBytes(headDimension: depth) <= device.maxComputeSharedMemorySize }
    }
}

struct CooperativeAttentionShape {
    let tile: Int
    let keyTiles: Int
    let rowTiles: Int

    /// Workgroups below which a grid leaves a large GPU's multiprocessors idle (an H100 has 132, each taking two).
    static let fullGrid = 256
    /// attention_combine.comp's MAX_SPLITS.
    static let maximumKeySplits = 16

    /// Keys per range when a grid of `workgroups` is too small for a large GPU and the keys are many (split-KV:
    /// each range a workgroup of its own, merged by attention_combine.comp), else nil. Ranges hold at least four
    /// blocks of keys, so that the merge and the partial rows stay small beside the work.
    func keysPerSplit(keys: Int, workgroups: Int) -> Int? {
        let block = keyTiles * tile
        let blocks = (keys + block - 1) / block
        let splits = min((Self.fullGrid + workgroups - 1) / workgroups, blocks / 4, Self.maximumKeySplits)
        guard workgroups < Self.fullGrid, splits > 1 else { return nil }
        return (blocks + splits - 1) / splits * block
    }

    /// Shared memory of attention_coopmat.comp: f16 K and V blocks, f32 scores and f16 weights per row
    /// and key, f32 O, row maxima and sums.
    func sharedBytes(headDimension depth: Int) -> Int {
        let keys = keyTiles * tile, rows = rowTiles * tile
        return 2 * keys * depth * 2 + rows * keys * (4 + 2) + rows * depth * 4 + 2 * rows * 4
    }
}

/// Matrix products with f32, f16 or bf16 activations, weights in any `DType` (dequantised in the
/// shader) and f32 accumulation.

extension CommandRecorder {
    /// `x · (weightScale · weight)ᵀ + bias` like PyTorch's Linear: `x` is [..., K] (f32, or f16
    /// or bf16 where the device stores 16-bit values; last dimension contiguous), `weight` is
    /// [N, K] in any `DType` (contiguous), `bias` is [N] f32. `weightScale` is the per-tensor
    /// factor of "scaled fp8" checkpoints (`scale_weight`). The result is a contiguous [..., N] of
    /// `outputDType` (f32, f16 or bf16), passed through `epilogue` as it is stored.
    public func linear(_ x: Tensor, weight: Tensor, weightScale: Float = 1, bias: Tensor? = nil,
                       epilogue: MatmulEpilogue = .none, outputDType: DType = .f32) throws(VulkanError) -> Tensor {
        guard x.rank >= 2, weight.rank == 2 else { throw .invalidArgument("linear: need x [..., K] and weight [N, K], got \(x.shape) and \(weight.shape)") }
        let leading = Array(x.shape.dropLast())
        // Leading dimensions that are evenly strided merge into one row dimension.
        let mergeable = (0..<(x.rank - 2)).allSatisfy { x.shape[$0] == 1 || x.strides[$0] == x.strides[$0 + 1] * x.shape[$0 + 1] }
        let a: Tensor
        if mergeable {
            let rows = leading.reduce(1, *)
            a = Tensor(storage: x.storage, dtype: x.dtype, shape: [1, rows, x.shape[x.rank - 1]],
                       strides: [0, x.strides[x.rank - 2], x.strides[x.rank - 1]], offset: x.offset)
        } else if x.rank == 3 {
            a = x
        } else {
            throw .invalidArgument("linear: leading dimensions of \(x.shape) with strides \(x.strides) do not merge; make x contiguous first")
        }
        let w = Tensor(storage: weight.storage, dtype: weight.dtype, shape: [1] + weight.shape, strides: [0] + weight.strides, offset: weight.offset)
        let fused = try FusedEpilogue(epilogue, outputShape: leading + [weight.shape[0]], productBatches: a.shape[0])
        let output = try batchedMatmul(a, w, scale: weightScale, bias: bias, epilogue: fused, outputDType: outputDType, "linear")
        return try output.reshaped(leading + [weight.shape[0]])
    }

    /// `a · bᵀ` per batch: `a` is [M, K] or [B, M, K] (f32, last dimension contiguous), `b` is
    /// [N, K] or [B, N, K] (any `DType`, rows contiguous). The result is [B, M, N] when
    /// either input has a batch dimension, else [M, N].
    public func matmul(_ a: Tensor, transposedB b: Tensor, bias: Tensor? = nil) throws(VulkanError) -> Tensor {
        guard (2...3).contains(a.rank), (2...3).contains(b.rank) else {
            throw .invalidArgument("matmul: inputs must be rank 2 or 3, got \(a.shape) and \(b.shape)")
        }
        func batched(_ t: Tensor) -> Tensor {
            t.rank == 3 ? t : Tensor(storage: t.storage, dtype: t.dtype, shape: [1] + t.shape, strides: [0] + t.strides, offset: t.offset)
        }
        let output = try batchedMatmul(batched(a), batched(b), scale: 1, bias: bias, epilogue: .none, outputDType: .f32, "matmul")
        return a.rank == 2 && b.rank == 2 ? try output.reshaped(Array(output.shape.dropFirst())) : output
    }

    /// a [B or 1, M, K] · w[B or 1, N, K]ᵀ → contiguous [B, M, N]; a batch of 1 is shared.
    private func batchedMatmul(_ a: Tensor, _ w: Tensor, scale: Float, bias: Tensor?, epilogue: FusedEpilogue,
                               outputDType: DType, _ name: String) throws(VulkanError) -> Tensor {
        let activationStorage = try context.activationStorageCode(a, name, "activations")
        let (m, k, n) = (a.shape[1], a.shape[2], w.shape[1])
        let batch = max(a.shape[0], w.shape[0])
        guard w.shape[2] == k else { throw .invalidArgument("\(name): inner dimensions differ, \(a.shape) vs \(w.shape)") }
        guard [a.shape[0], w.shape[0]].allSatisfy({ $0 == batch || $0 == 1 }) else {
            throw .invalidArgument("\(name): batches \(a.shape[0]) and \(w.shape[0]) do not match")
        }
        guard k <= 1 || a.strides[2] == 1 else { throw .invalidArgument("\(name): activations need a contiguous last dimension, strides \(a.strides)") }
        guard k <= 1 || w.strides[2] == 1, n <= 1 || w.strides[1] == k else {
            throw .invalidArgument("\(name): weight rows must be contiguous, strides \(w.strides)")
        }
        if let bias { try requireVector(bias, count: n, name, "bias") }
        let output = try context.makeTensor(shape: [batch, m, n], dtype: outputDType)
        let outputStorage = try context.activationStorageCode(output, name, "output")
        if m == 0 || n == 0 || batch == 0 { return output }
        let activationBatchStride = a.shape[0] == 1 ? 0 : a.strides[0]
        let weightBatchStride = w.shape[0] == 1 ? 0 : w.strides[0]
        let blockAligned = [w.offset, k, weightBatchStride].allSatisfy { $0 % w.dtype.elementsPerBlock == 0 }
        guard blockAligned else { throw .invalidArgument("\(name): \(w.dtype) weight rows must be whole blocks of \(w.dtype.elementsPerBlock)") }
        // Packed weights load a whole 32-bit word at a time when every row starts on a word.
        let weightsPerWord = max(4 / w.dtype.bytesPerBlock, 1)
        let wordAligned = [w.offset, k, weightBatchStride].allSatisfy { $0 % weightsPerWord == 0 }
        // The texel kernel fetches 8 weights of a row at a time: 2 texels of 4 f32, one texel of 8
        // packed 16- or 8-bit values, or 4 halfwords of a quantised block plus its scale.
        let (weightTexel, weightsPerTexel): (TexelFormat, Int) = switch w.dtype {
        case .f32: (.rgba32Float, 4)
        case .f16, .bf16: (.rgba32Uint, 8)
        case .f8E4M3: (.rg32Uint, 8)
        case .q8_0, .q4_0: (.r16Uint, 32)
        }
        let texelAligned = [a.offset, m <= 1 ? 0 : a.strides[1], activationBatchStride].allSatisfy { $0 % 4 == 0 }
            && [w.offset, k, weightBatchStride].allSatisfy { $0 % weightsPerTexel == 0 }
        let storage16 = activationStorage != 0 || outputStorage != 0
        var kernel = context.matmulKernel
        if kernel == .cooperative2 && (!context.cooperativeMatrix2MatmulAvailable(for: w.dtype)
                                       || context.pipelines.isRefused(.matmul(.cooperative2, w.dtype, storage16: storage16))) {
            kernel = .cooperative
        }
        if kernel == .cooperative && (!context.cooperativeMatmulAvailable(for: w.dtype)
                                      || context.pipelines.isRefused(.matmul(.cooperative, w.dtype, storage16: storage16))) {
            kernel = .preferred(for: context.device.info.kind)
        }
        // The texel kernel reads f16 activations through an RGBA16F view; no texel format holds bf16.
        if kernel == .texels && !(texelAligned && k >= 8 && a.dtype != .bf16) { kernel = .plain }
        if kernel == .texels, !storage16, a.dtype == .f32, w.shape[0] == 1, [.f32, .f16, .bf16].contains(w.dtype),
           let sharing = context.fetchSharingSubgroupSize, n <= MatmulTuning.rowTexelColumnLimit, n % 4 == 0, k % 8 == 0,
           output.offset % 4 == 0, epilogue.isQuadAligned {
            try rowTexelMatmul(a, w, scale: scale, bias: bias, epilogue: epilogue, into: output, subgroupSize: sharing)
            return output
        }
        let tuning: MatmulTuning = switch kernel {
        case .cooperative: .cooperative(rows: m, columns: n, batch: batch, subgroupSize: context.device.cooperativeMatrix.subgroupSize,
                                        tile: context.device.cooperativeMatrix.tileSize ?? 16, sharedMemory: context.device.maxComputeSharedMemorySize)
        // The same blocks, in granules of the device's flexible shapes.
        case .cooperative2: .cooperative(rows: m, columns: n, batch: batch, subgroupSize: context.device.cooperativeMatrix.subgroupSize,
                                         tile: context.device.cooperativeMatrix2.granularity ?? 16, sharedMemory: context.device.maxComputeSharedMemorySize)
        case .tiled: .tiled
        case .texels: .texels(rows: m, columns: n)
        case .plain: .plain
        }
        // Split K writes scaled partial products without bias, one batch per part, for matmul_split_sum to add.
        let splits = kernel.isCooperative ? tuning.cooperativeSplits(rows: m, columns: n, batch: batch, inner: k) : 1
        let target = splits > 1 ? try context.makeTensor(shape: [splits * batch, m, n]) : output
        var push = PushConstants()
        push.append([m, n, k, m <= 1 ? k : a.strides[1], activationBatchStride, a.offset])
        push.append([weightBatchStride, w.offset, bias?.offset ?? 0, target.offset])
        push.append(scale)
        push.append(epilogue.pushConstants)
        // The cooperative kernel loads 4 values of a row at once where rows start on 4 elements.
        let activationsVectorAligned = [a.offset, m <= 1 ? k : a.strides[1], activationBatchStride, k].allSatisfy { $0 % 4 == 0 }
        let weightsVectorAligned = [w.offset, k, weightBatchStride].allSatisfy { $0 % 4 == 0 }
        // Constants 5–9 are the cooperative kernels'; the epilogue's are 10 and 11 in every kernel.
        let cooperativeConstants = kernel.isCooperative
            ? [tuning.tile, tuning.depth, activationsVectorAligned ? 1 : 0, weightsVectorAligned ? 1 : 0, splits] : [0, 0, 0, 0, 1]
        // Every lane of the texel kernel fetches the same rows of A: where subgroups shuffle, the lanes share those
        // fetches. 1.2–2× faster for outputs of one or two columns per lane (the small models' 32 to 224 columns),
        // where fetching A cost several times the arithmetic; the same at Flux dev's widths.
        let texels = kernel == .texels
        let sharingA = texels && !storage16 ? context.fetchSharingSubgroupSize : nil
        let constants: [UInt32] = ([tuning.workgroupSize, tuning.rows, bias == nil || splits > 1 ? 0 : 1, wordAligned ? 1 : 0, tuning.columns]
            + cooperativeConstants).map { UInt32($0) } + [splits > 1 ? 0 : epilogue.activationCode, splits > 1 ? 0 : epilogue.residualCode]
            + [activationStorage, splits > 1 ? 0 : outputStorage] + (sharingA.map { [UInt32($0)] } ?? [])
        let variant = sharingA != nil ? ShaderVariant.sharedTexelMatmul(w.dtype) : ShaderVariant.matmul(kernel, w.dtype, storage16: storage16)
        let pipeline: ComputePipeline
        if kernel.isCooperative {
            // Refused now, so the second call takes the next kernel (coopmat2 → KHR → portable).
            let fallback = kernel == .cooperative2 ? "the KHR cooperative kernel (or the portable one)" : "the portable kernel"
            guard let built = context.pipelines.optionalPipeline(variant, bindings: 6, constants: constants, fallback: fallback) else {
                return try batchedMatmul(a, w, scale: scale, bias: bias, epilogue: epilogue, outputDType: outputDType, name)
            }
            pipeline = built
        } else {
            pipeline = try context.pipelines.pipeline(variant, bindings: 6, texelBindings: texels ? 2 : 0, constants: constants)
        }
        let texelBindings: [(DeviceBuffer, TexelFormat)] = texels ? [(a.storage, a.dtype == .f16 ? .rgba16Float : .rgba32Float), (w.storage, weightTexel)] : []
        let groups = ((n + tuning.columnsPerGroup - 1) / tuning.columnsPerGroup, (m + tuning.rowsPerGroup - 1) / tuning.rowsPerGroup, batch * splits)
        let residual = epilogue.residual?.storage ?? a.storage, gate = epilogue.gate?.storage ?? a.storage
        try dispatch(pipeline, buffers: [a.storage, w.storage, bias?.storage ?? a.storage, target.storage, residual, gate],
                     texels: texelBindings, written: [3], push: push, groups: groups)
        if splits > 1 {
            let count = batch * m * n
            var sumPush = PushConstants()
            sumPush.append([m, n, batch, splits, target.offset, bias?.offset ?? 0, output.offset])
            sumPush.append(Float(1))
            sumPush.append(epilogue.pushConstants)
            let constants: [UInt32] = [bias == nil ? 0 : 1] + Array(repeating: 0, count: 9) + [epilogue.activationCode, epilogue.residualCode, 0, outputStorage]
            let sum = try context.pipelines.pipeline(outputStorage != 0 ? .matmul16SplitSum : .matmulSplitSum, bindings: 6, constants: constants)
            try dispatch(sum, buffers: [target.storage, target.storage, bias?.storage ?? target.storage, output.storage, residual, gate],
                         written: [3], push: sumPush, groups: ((count + 255) / 256, 1, 1))
        }
        return output
    }
}

extension CommandRecorder {
    /// matmul.comp's ROWS kernel for a product of few columns (a `[1, N, K]` weight): the lanes take rows and share
    /// the weights, which it reads as f32 or f16 texels (bf16 ones through a copy made once). On llvmpipe the
    /// column-sharing kernel spent more on shuffling rows of A and on lane-by-lane stores than on arithmetic there.
    fileprivate func rowTexelMatmul(_ a: Tensor, _ w: Tensor, scale: Float, bias: Tensor?, epilogue: FusedEpilogue,
                                    into output: Tensor, subgroupSize: Int) throws(VulkanError) {
        let (m, k, n, batch) = (a.shape[1], a.shape[2], w.shape[1], output.shape[0])
        let weights = try context.rowTexelWeights(w)
        let tuning = MatmulTuning.rowTexels(columns: n)
        var push = PushConstants()
        push.append([m, n, k, m <= 1 ? k : a.strides[1], a.shape[0] == 1 ? 0 : a.strides[0], a.offset])
        push.append([0, weights.offset, bias?.offset ?? 0, output.offset])
        push.append(scale)
        push.append(epilogue.pushConstants)
        let constants = [tuning.workgroupSize, tuning.rows, bias == nil ? 0 : 1, 1, tuning.columns, 0, 0, 0, 0, 1,
                         Int(epilogue.activationCode), Int(epilogue.residualCode), 0, 0, subgroupSize].map { UInt32($0) }
        let pipeline = try context.pipelines.pipeline(.matmulTexelsRows, bindings: 6, texelBindings: 2, constants: constants)
        let residual = epilogue.residual?.storage ?? a.storage, gate = epilogue.gate?.storage ?? a.storage
        let groups = ((n + tuning.columnsPerGroup - 1) / tuning.columnsPerGroup, (m + tuning.rowsPerGroup - 1) / tuning.rowsPerGroup, batch)
        try dispatch(pipeline, buffers: [a.storage, weights.storage, bias?.storage ?? a.storage, output.storage, residual, gate],
                     texels: [(a.storage, .rgba32Float), (weights.storage, weights.dtype == .f16 ? .rgba16Float : .rgba32Float)],
                     written: [3], push: push, groups: groups)
    }
}

extension VulkanContext {
    /// `weight` as the ROWS texel kernel reads it: f32 and f16 as they are, anything else as an f32 copy made once.
    func rowTexelWeights(_ weight: Tensor) throws(VulkanError) -> Tensor {
        guard weight.dtype != .f32 && weight.dtype != .f16 else { return weight }
        return try preparedCopy(of: weight, for: "matmul_texels_rows") { (recorder) throws(VulkanError) -> Tensor in
            try recorder.converted(weight, to: .f32)
        }
    }

    /// True when matmuls with weights of `dtype` run the cooperative-matrix kernel if asked to:
    /// the device has `VK_KHR_cooperative_matrix` with a 16×16×16 or 8×8×8 f16 → f32 shape and the
    /// build's glslang compiled the variant.
    public func cooperativeMatmulAvailable(for dtype: DType) -> Bool {
        device.supportsCooperativeMatrixMatmul && ShaderVariant.matmul(.cooperative, dtype).isAvailable
    }

    /// True when matmuls with weights of `dtype` run the `VK_NV_cooperative_matrix2` kernel if asked
    /// to: the device has the extension with flexible subgroup shapes and per-element operations,
    /// and the build's glslang (15 or newer) compiled the variant.
    public func cooperativeMatrix2MatmulAvailable(for dtype: DType) -> Bool {
        device.supportsCooperativeMatrix2Matmul && ShaderVariant.matmul(.cooperative2, dtype).isAvailable
    }
}

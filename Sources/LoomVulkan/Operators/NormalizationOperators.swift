/// Softmax and normalisations over the last dimension (group norm over channel groups).
/// f32 in, contiguous out; softmax and the row norms accept strided views. The row norms store
/// their output as f32, f16 or bf16 (`outputDType`); their statistics are f32 throughout.

extension CommandRecorder {
    /// Softmax over the last dimension.
    public func softmax(_ x: Tensor) throws(VulkanError) -> Tensor {
        var (push, output, rows, _) = try rowOperation(x, "softmax")
        push.append(output.offset)
        push.append(rows)
        let pipeline = try context.pipelines.pipeline(.softmax, bindings: 2)
        try dispatch(pipeline, buffers: [x.storage, output.storage], written: [1], push: push, groups: linearGroups(rows))
        return output
    }

    /// `(x - mean) / sqrt(var + epsilon) * weight + bias` over the last dimension; weight and
    /// bias are optional and independent. The result is stored as `outputDType` (f32, f16 or bf16).
    public func layerNorm(_ x: Tensor, weight: Tensor? = nil, bias: Tensor? = nil, epsilon: Float = 1e-5,
                          outputDType: DType = .f32) throws(VulkanError) -> Tensor {
        try rowNorm(x, rms: false, weight: weight, bias: bias, epsilon: epsilon, outputDType: outputDType, "layerNorm")
    }

    /// Layer norm without affine parameters, then adaLN's `· (1 + scale) + shift` in the same pass:
    /// `shift` and `scale` are [W] or, for x [B, L, W], per-sample [B, 1, W] views. The result is
    /// stored as `outputDType` (f32, f16 or bf16).
    public func modulatedLayerNorm(_ x: Tensor, shift: Tensor, scale: Tensor, epsilon: Float = 1e-6,
                                   outputDType: DType = .f32) throws(VulkanError) -> Tensor {
        try rowNorm(x, rms: false, weight: nil, bias: nil, modulation: (shift, scale), epsilon: epsilon, outputDType: outputDType,
                    "modulatedLayerNorm")
    }

    /// `x / sqrt(mean(x²) + epsilon) * weight` over the last dimension, stored as `outputDType`
    /// (f32, f16 or bf16).
    public func rmsNorm(_ x: Tensor, weight: Tensor? = nil, epsilon: Float = 1e-6, outputDType: DType = .f32) throws(VulkanError) -> Tensor {
        try rowNorm(x, rms: true, weight: weight, bias: nil, epsilon: epsilon, outputDType: outputDType, "rmsNorm")
    }

    /// Group norm of `x` shaped [N, C, ...] (contiguous) with `groups` groups of channels and an
    /// optional per-channel affine transform (weight and bias together), followed by SiLU when
    /// `applyingSiLU`. A `.channelsLast` result has the same shape, its channels stored innermost,
    /// which `conv2d` on CPU devices reads without a copy.
    public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor? = nil, bias: Tensor? = nil, epsilon: Float = 1e-5,
                          applyingSiLU: Bool = false, layout: ActivationLayout = .contiguous) throws(VulkanError) -> Tensor {
        try requireF32(x, "groupNorm")
        guard x.rank >= 2, x.isContiguous else { throw .invalidArgument("groupNorm: input must be contiguous [N, C, ...], not shape \(x.shape)") }
        let channels = x.shape[1]
        guard groups > 0, channels % groups == 0 else { throw .invalidArgument("groupNorm: \(channels) channels do not split into \(groups) groups") }
        guard (weight == nil) == (bias == nil) else { throw .invalidArgument("groupNorm: weight and bias come together") }
        if let weight { try requireVector(weight, count: channels, "groupNorm", "weight") }
        if let bias { try requireVector(bias, count: channels, "groupNorm", "bias") }
        let spatial = x.count / max(x.shape[0] * channels, 1)
        let channelsLastShape = [x.shape[0]] + x.shape.dropFirst(2) + [channels]
        let stored = try context.makeTensor(shape: layout == .channelsLast ? channelsLastShape : x.shape)
        let texels = context.matmulKernel == .texels && spatial % 4 == 0 && x.offset % 4 == 0
        if texels && layout == .channelsLast {
            try channelsLastGroupNorm(x, groups: groups, weight: weight, bias: bias, epsilon: epsilon, applyingSiLU: applyingSiLU,
                                      into: stored, spatial: spatial)
        } else {
            var push = PushConstants()
            push.append([x.shape[0], channels, spatial, groups, x.offset, weight?.offset ?? 0, bias?.offset ?? 0, stored.offset])
            push.append(epsilon)
            let constants: [UInt32] = [weight == nil ? 0 : 1, applyingSiLU ? 1 : 0, layout == .channelsLast ? 1 : 0, 0]
            let pipeline = try context.pipelines.pipeline(texels ? .groupNormTexels : .groupNorm, bindings: 4, texelBindings: texels ? 1 : 0,
                                                          constants: constants)
            // Absent parameters bind the input again: the shader never reads them.
            try dispatch(pipeline, buffers: [x.storage, weight?.storage ?? x.storage, bias?.storage ?? x.storage, stored.storage],
                         texels: texels ? [(x.storage, .rgba32Float)] : [], written: [3], push: push, groups: workgroupPerItem(x.shape[0] * groups))
        }
        guard layout == .channelsLast else { return stored }
        return try stored.permuted([0, x.rank - 1] + Array(1..<(x.rank - 1)))
    }

    /// Group norm into `stored` [N, S, C] on CPU devices in two passes: groupnorm.comp's statistics, as each
    /// channel's (scale, shift), then groupnorm_apply.comp pixel by pixel (see there why).
    private func channelsLastGroupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Float, applyingSiLU: Bool,
                                       into stored: Tensor, spatial: Int) throws(VulkanError) {
        let batch = x.shape[0], channels = x.shape[1]
        let affine = try context.makeTensor(shape: [batch * channels, 2])
        var push = PushConstants()
        push.append([batch, channels, spatial, groups, x.offset, weight?.offset ?? 0, bias?.offset ?? 0, affine.offset])
        push.append(epsilon)
        let reduce = try context.pipelines.pipeline(.groupNormTexels, bindings: 4, texelBindings: 1, constants: [weight == nil ? 0 : 1, 0, 0, 1])
        // Absent parameters bind the input again: the shader never reads them.
        try dispatch(reduce, buffers: [x.storage, weight?.storage ?? x.storage, bias?.storage ?? x.storage, affine.storage],
                     texels: [(x.storage, .rgba32Float)], written: [3], push: push, groups: workgroupPerItem(batch * groups))
        push = PushConstants()
        push.append([batch, channels, spatial, x.offset, stored.offset, affine.offset])
        let apply = try context.pipelines.pipeline(.groupNormApply, bindings: 1, texelBindings: 2,
                                                   constants: [applyingSiLU ? 1 : 0, channels % 4 == 0 && stored.offset % 4 == 0 ? 1 : 0])
        try dispatch(apply, buffers: [stored.storage], texels: [(x.storage, .rgba32Float), (affine.storage, .r32Float)],
                     written: [0], push: push, groups: linearGroups(batch * spatial / 4))
    }

    /// One workgroup per item, folded into Y past the device's X limit.
    private func workgroupPerItem(_ items: Int) -> (x: Int, y: Int, z: Int) {
        let x = min(items, context.device.maxWorkgroupCount.x)
        return (x, x == 0 ? 0 : (items + x - 1) / x, 1)
    }

    private func rowNorm(_ x: Tensor, rms: Bool, weight: Tensor?, bias: Tensor?, modulation: (shift: Tensor, scale: Tensor)? = nil,
                         epsilon: Float, outputDType: DType, _ name: String) throws(VulkanError) -> Tensor {
        var (push, output, rows, width) = try rowOperation(x, outputDType: outputDType, name)
        let outputStorage = try context.activationStorageCode(output, name, "output")
        if let weight { try requireVector(weight, count: width, name, "weight") }
        if let bias { try requireVector(bias, count: width, name, "bias") }
        push.append(weight?.offset ?? 0)
        push.append(bias?.offset ?? 0)
        push.append(output.offset)
        push.append(rows)
        push.append(epsilon)
        var modulationRows = rows, shiftStride = 0, scaleStride = 0
        if let modulation {
            // [width] vectors apply to every row; [B, 1, width] ones to the rows of their sample.
            func sampleStride(_ t: Tensor, _ input: String) throws(VulkanError) -> Int {
                let perSample = x.rank == 3 && t.shape == [x.shape[0], 1, width]
                guard t.dtype == .f32, t.shape == [width] || perSample, width <= 1 || t.strides[t.rank - 1] == 1 else {
                    throw .invalidArgument("\(name): \(input) must be f32 [\(width)] or [\(x.shape[0]), 1, \(width)] with a contiguous last dimension, not \(t.dtype) \(t.shape)")
                }
                if perSample { modulationRows = max(x.shape[1], 1) }
                return perSample && t.shape[0] > 1 ? t.strides[0] : 0
            }
            shiftStride = try sampleStride(modulation.shift, "shift")
            scaleStride = try sampleStride(modulation.scale, "scale")
        }
        push.append([modulationRows, modulation?.shift.offset ?? 0, shiftStride, modulation?.scale.offset ?? 0, scaleStride])
        // GPU-style kernels (not the CPU devices' texel ones) give each row a workgroup of 256.
        let rowPerGroup = context.matmulKernel != .texels
        let constants: [UInt32] = [rms ? 1 : 0, weight == nil ? 0 : 1, bias == nil ? 0 : 1, modulation == nil ? 0 : 1,
                                   outputStorage, rowPerGroup ? 256 : UInt32(Self.linearWorkgroupSize), rowPerGroup ? 1 : 0]
        // f32 output keeps the variant without 16-bit storage, which every device runs.
        let pipeline = try context.pipelines.pipeline(outputStorage == 0 ? .norm : .norm16, bindings: 6, constants: constants)
        try dispatch(pipeline, buffers: [x.storage, weight?.storage ?? x.storage, bias?.storage ?? x.storage, output.storage,
                                         modulation?.shift.storage ?? x.storage, modulation?.scale.storage ?? x.storage],
                     written: [3], push: push, groups: rowPerGroup ? workgroupPerItem(rows) : linearGroups(rows))
        return output
    }

    /// What every per-row shader starts with: push constants holding the rank-4 shape, strides and
    /// input offset; a contiguous output of `outputDType`; the number of rows and the row width.
    private func rowOperation(_ x: Tensor, outputDType: DType = .f32, _ name: String) throws(VulkanError)
        -> (PushConstants, Tensor, rows: Int, width: Int) {
        try requireF32(x, name)
        let (shape, strides) = try rank4(x, operation: name)
        var push = PushConstants()
        push.append(shape)
        push.append(strides)
        push.append(x.offset)
        return (push, try context.makeTensor(shape: x.shape, dtype: outputDType), x.count / max(shape[3], 1), shape[3])
    }
}

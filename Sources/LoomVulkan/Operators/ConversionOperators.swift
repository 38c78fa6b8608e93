/// Dtype conversion between f32 and the 16-bit floats (convert.comp), rounding to nearest even.

extension CommandRecorder {
    /// `x` as a contiguous tensor of `dtype`: f32 views convert to f16 or bf16, contiguous f16 or
    /// bf16 tensors to f32.
    public func converted(_ x: Tensor, to dtype: DType) throws(VulkanError) -> Tensor {
        switch (x.dtype, dtype) {
        case (.f32, .f16), (.f32, .bf16):
            let layout = try stridedLayout(shape: x.shape, strides: [x.strides], operation: "converted")
            let output = try context.makeTensor(shape: x.shape, dtype: dtype)
            var push = PushConstants()
            push.append(layout.shape)
            push.append(layout.strides[0])
            push.append([x.offset, output.offset, x.count])
            let pipeline = try context.pipelines.pipeline(.convertToHalf, bindings: 2, constants: [dtype == .bf16 ? 1 : 0, UInt32(layout.rank)])
            try dispatch(pipeline, buffers: [x.storage, output.storage], written: [1], push: push, groups: linearGroups((x.count + 1) / 2))
            return output
        case (.f16, .f32), (.bf16, .f32):
            guard x.isContiguous else { throw .invalidArgument("converted: \(x.dtype) input must be contiguous, strides \(x.strides)") }
            let output = try context.makeTensor(shape: x.shape)
            var push = PushConstants()
            push.append([Int](repeating: 1, count: 4) + [Int](repeating: 0, count: 4))
            push.append([x.offset, output.offset, x.count])
            let pipeline = try context.pipelines.pipeline(.convertToF32, bindings: 2, constants: [x.dtype == .bf16 ? 1 : 0, 1])
            try dispatch(pipeline, buffers: [x.storage, output.storage], written: [1], push: push, groups: linearGroups(x.count))
            return output
        default:
            throw .invalidArgument("converted: no conversion from \(x.dtype) to \(dtype)")
        }
    }
}

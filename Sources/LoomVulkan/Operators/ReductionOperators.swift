/// Reductions (mean.comp).

extension CommandRecorder {
    /// The mean over the last dimension of an f32 view (rank ≤ 4), keeping it as size 1.
    public func mean(_ x: Tensor) throws(VulkanError) -> Tensor {
        try requireF32(x, "mean")
        guard x.rank >= 1, x.shape.last! > 0 else { throw .invalidArgument("mean: need a non-empty last dimension, not \(x.shape)") }
        let (shape, strides) = try rank4(x, operation: "mean")
        let output = try context.makeTensor(shape: Array(x.shape.dropLast()) + [1])
        var push = PushConstants()
        push.append(shape)
        push.append(strides)
        push.append([x.offset, output.offset, output.count])
        let pipeline = try context.pipelines.pipeline(.mean, bindings: 2)
        try dispatch(pipeline, buffers: [x.storage, output.storage], written: [1], push: push, groups: linearGroups(output.count))
        return output
    }
}

/// Element-wise operators: f32 in, contiguous f32 out; inputs may be strided views.

public enum GELUApproximation: Sendable {
    /// 0.5·x·(1 + erf(x/√2)), PyTorch's default.
    case none
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), PyTorch's `approximate="tanh"`.
    case tanh
}

extension CommandRecorder {
    private enum UnaryOperation: UInt32 {
        case copy = 0, scale, silu, geluErf, geluTanh, quickGELU, relu
    }

    private enum BinaryOperation: UInt32 {
        case add = 0, multiply
    }

    /// `a + b` with numpy broadcasting.
    public func add(_ a: Tensor, _ b: Tensor) throws(VulkanError) -> Tensor { try binary(.add, a, b, "add") }

    /// `a * b` with numpy broadcasting.
    public func multiply(_ a: Tensor, _ b: Tensor) throws(VulkanError) -> Tensor { try binary(.multiply, a, b, "multiply") }

    /// `x * factor`.
    public func scaled(_ x: Tensor, by factor: Float) throws(VulkanError) -> Tensor { try unary(.scale, x, scale: factor, "scaled") }

    /// `x * sigmoid(x)`.
    public func silu(_ x: Tensor) throws(VulkanError) -> Tensor { try unary(.silu, x, "silu") }

    public func gelu(_ x: Tensor, approximation: GELUApproximation = .none) throws(VulkanError) -> Tensor {
        try unary(approximation == .none ? .geluErf : .geluTanh, x, "gelu")
    }

    /// `x * sigmoid(1.702 * x)`, CLIP's quick GELU.
    public func quickGELU(_ x: Tensor) throws(VulkanError) -> Tensor { try unary(.quickGELU, x, "quickGELU") }

    /// `max(x, 0)`.
    public func relu(_ x: Tensor) throws(VulkanError) -> Tensor { try unary(.relu, x, "relu") }

    /// A contiguous copy of a (possibly strided) f32, f16 or bf16 tensor, in its dtype.
    public func contiguous(_ x: Tensor) throws(VulkanError) -> Tensor {
        guard x.dtype != .f32 else { return try unary(.copy, x, "contiguous") }
        _ = try context.activationStorageCode(x, "contiguous")
        let output = try context.makeTensor(shape: x.shape, dtype: x.dtype)
        try copy(x, into: output)
        return output
    }

    private func unary(_ operation: UnaryOperation, _ x: Tensor, scale: Float = 1, _ name: String) throws(VulkanError) -> Tensor {
        try requireF32(x, name)
        let layout = try stridedLayout(shape: x.shape, strides: [x.strides], operation: name)
        let output = try context.makeTensor(shape: x.shape)
        var push = PushConstants()
        push.append(layout.shape)
        push.append(layout.strides[0])
        push.append(x.offset)
        push.append(output.offset)
        push.append(x.count)
        push.append(scale)
        let pipeline = try context.pipelines.pipeline(.unary, bindings: 2, constants: [operation.rawValue, UInt32(layout.rank)])
        try dispatch(pipeline, buffers: [x.storage, output.storage], written: [1], push: push, groups: linearGroups(x.count))
        return output
    }

    private func binary(_ operation: BinaryOperation, _ a: Tensor, _ b: Tensor, _ name: String) throws(VulkanError) -> Tensor {
        try requireF32(a, name, "a")
        try requireF32(b, name, "b")
        guard let shape = broadcastShape(a.shape, b.shape) else {
            throw .invalidArgument("\(name): shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let output = try context.makeTensor(shape: shape)
        let layout = try stridedLayout(shape: shape, strides: [broadcastStrides(a, to: shape), broadcastStrides(b, to: shape)], operation: name)
        var push = PushConstants()
        push.append(layout.shape)
        push.append(layout.strides[0])
        push.append(layout.strides[1])
        push.append(a.offset)
        push.append(b.offset)
        push.append(output.offset)
        push.append(output.count)
        let contiguous = layout.rank == 1 && layout.strides.allSatisfy { $0.last == 1 }
        if context.matmulKernel == .texels && contiguous && [a.offset, b.offset, output.offset, output.count].allSatisfy({ $0 % 4 == 0 }) {
            let pipeline = try context.pipelines.pipeline(.binaryTexels, bindings: 1, texelBindings: 2, constants: [operation.rawValue, 1])
            try dispatch(pipeline, buffers: [output.storage], texels: [(a.storage, .rgba32Float), (b.storage, .rgba32Float)], written: [0],
                         push: push, groups: linearGroups(output.count / 4))
            return output
        }
        let pipeline = try context.pipelines.pipeline(.binary, bindings: 3, constants: [operation.rawValue, UInt32(layout.rank)])
        try dispatch(pipeline, buffers: [a.storage, b.storage, output.storage], written: [2], push: push, groups: linearGroups(output.count))
        return output
    }
}

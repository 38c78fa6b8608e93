/// The DiT conditioning operators (ternary.comp): adaLN modulation and gated residuals, with
/// numpy broadcasting so per-sample vectors apply to every token.

extension CommandRecorder {
    private enum TernaryOperation: UInt32 {
        case modulate = 0, gate
    }

    /// `x · (1 + scale) + shift`, adaLN's modulation.
    public func modulate(_ x: Tensor, shift: Tensor, scale: Tensor) throws(VulkanError) -> Tensor {
        try ternary(.modulate, x, scale, shift, "modulate")
    }

    /// `x + gate · y`, a gated residual connection.
    public func gatedAdd(_ x: Tensor, gate: Tensor, _ y: Tensor) throws(VulkanError) -> Tensor {
        try ternary(.gate, x, gate, y, "gatedAdd")
    }

    private func ternary(_ operation: TernaryOperation, _ a: Tensor, _ b: Tensor, _ c: Tensor, _ name: String) throws(VulkanError) -> Tensor {
        for t in [a, b, c] { try requireF32(t, name) }
        guard let ab = broadcastShape(a.shape, b.shape), let shape = broadcastShape(ab, c.shape) else {
            throw .invalidArgument("\(name): shapes \(a.shape), \(b.shape) and \(c.shape) do not broadcast")
        }
        let output = try context.makeTensor(shape: shape)
        let strides = [a, b, c].map { broadcastStrides($0, to: shape) }
        let layout = try stridedLayout(shape: shape, strides: strides, operation: name)
        var push = PushConstants()
        push.append(layout.shape)
        layout.strides.forEach { push.append($0) }
        push.append([a.offset, b.offset, c.offset, output.offset, output.count])
        let pipeline = try context.pipelines.pipeline(.ternary, bindings: 4, constants: [operation.rawValue, UInt32(layout.rank)])
        try dispatch(pipeline, buffers: [a.storage, b.storage, c.storage, output.storage], written: [3], push: push,
                     groups: linearGroups(output.count))
        return output
    }
}

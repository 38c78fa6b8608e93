import Foundation

/// Flux's rotary position embedding: each token has one position per axis (Flux: [index, row,
/// column]); axis i rotates `axisDimensions[i]/2` consecutive pairs of the head dimension by
/// angles pos·θ^(−2j/dᵢ). The table is built on the host in Double, as ComfyUI builds it in
/// float64, and applied on the device (rope.comp).
public enum RotaryEmbedding {
    /// The (cos, sin) table [L, D/2, 2] for `positions` ([L, axes] row-major), D being the sum
    /// of `axisDimensions` (each even).
    public static func table(positions: [Float], axisDimensions: [Int], theta: Double = 10_000) throws(VulkanError) -> [Float] {
        let axes = axisDimensions.count
        guard axes > 0, axisDimensions.allSatisfy({ $0 > 0 && $0 % 2 == 0 }), positions.count % axes == 0 else {
            throw .invalidArgument("rotary table: \(positions.count) positions do not split into \(axes) axes of even dimensions \(axisDimensions)")
        }
        let omegas = axisDimensions.map { d in stride(from: 0, to: d, by: 2).map { pow(theta, -Double($0) / Double(d)) } }
        var table: [Float] = []
        table.reserveCapacity(positions.count / axes * axisDimensions.reduce(0, +))
        for token in 0..<(positions.count / axes) {
            for (axis, axisOmegas) in omegas.enumerated() {
                let position = Double(positions[token * axes + axis])
                for omega in axisOmegas {
                    table.append(Float(cos(position * omega)))
                    table.append(Float(sin(position * omega)))
                }
            }
        }
        return table
    }
}

extension CommandRecorder {
    /// `x` ([B, H, L, D] f32 view) with pair j of token l rotated by the angle whose (cos, sin)
    /// is `table[l, j]` (a contiguous [L, D/2, 2] from `RotaryEmbedding.table`): Flux's
    /// `apply_rope` for q or k. The result is contiguous.
    public func rope(_ x: Tensor, table: Tensor) throws(VulkanError) -> Tensor {
        try requireF32(x, "rope")
        try requireF32(table, "rope", "table")
        guard x.rank == 4, x.shape[3] % 2 == 0 else { throw .invalidArgument("rope: input must be [B, H, L, D] with even D, not \(x.shape)") }
        guard table.isContiguous, table.shape == [x.shape[2], x.shape[3] / 2, 2], table.offset % 2 == 0 else {
            throw .invalidArgument("rope: table must be a contiguous [\(x.shape[2]), \(x.shape[3] / 2), 2], not \(table.shape)")
        }
        let output = try context.makeTensor(shape: x.shape)
        var push = PushConstants()
        push.append(x.shape)
        push.append(x.strides)
        push.append([x.offset, table.offset / 2, output.offset, x.count / 2])
        let pipeline = try context.pipelines.pipeline(.rope, bindings: 3)
        try dispatch(pipeline, buffers: [x.storage, table.storage, output.storage], written: [2], push: push, groups: linearGroups(x.count / 2))
        return output
    }

    /// Flux's q or k path in one dispatch: `rmsNorm(x, weight:, epsilon:)` over each head row of
    /// `x` ([B, H, L, D] view), then `rope` with `table` ([L, D/2, 2] f32, contiguous), stored into
    /// `output`, a [B, H, L, D] view (a slice of a joint sequence, for instance). `x` and `output`
    /// are each f32, f16 or bf16; the arithmetic is f32.
    public func rmsNormRope(_ x: Tensor, weight: Tensor, epsilon: Float = 1e-6, table: Tensor, into output: Tensor) throws(VulkanError) {
        let inputStorage = try context.activationStorageCode(x, "rmsNormRope", "input")
        let outputStorage = try context.activationStorageCode(output, "rmsNormRope", "output")
        try requireF32(table, "rmsNormRope", "table")
        guard x.rank == 4, x.shape[3] % 2 == 0 else { throw .invalidArgument("rmsNormRope: input must be [B, H, L, D] with even D, not \(x.shape)") }
        guard output.shape == x.shape else { throw .invalidArgument("rmsNormRope: output \(output.shape) does not match the input \(x.shape)") }
        try requireVector(weight, count: x.shape[3], "rmsNormRope", "weight")
        guard table.isContiguous, table.shape == [x.shape[2], x.shape[3] / 2, 2], table.offset % 2 == 0 else {
            throw .invalidArgument("rmsNormRope: table must be a contiguous [\(x.shape[2]), \(x.shape[3] / 2), 2], not \(table.shape)")
        }
        let rows = x.count / max(x.shape[3], 1)
        guard rows > 0 else { return }
        var push = PushConstants()
        push.append(x.shape)
        push.append(x.strides)
        push.append(output.strides)
        push.append([x.offset, weight.offset, table.offset / 2, output.offset, rows])
        push.append(epsilon)
        // All-f32 keeps the variant without 16-bit storage, which every device runs.
        let sixteenBit = inputStorage != 0 || outputStorage != 0
        let pipeline = try context.pipelines.pipeline(sixteenBit ? .rmsNormRope16 : .rmsNormRope, bindings: 4,
                                                      constants: sixteenBit ? [inputStorage, outputStorage] : [])
        try dispatch(pipeline, buffers: [x.storage, weight.storage, table.storage, output.storage], written: [3], push: push,
                     groups: linearGroups(rows))
    }
}

import LoomModelFiles
import LoomVulkan

/// A single-stream block over the joined text + image tokens: one `linear1` yields q, k, v and
/// the MLP input side by side; `linear2` maps [attention | GELU(mlp)] back, added through a gate.
/// The residual stream stays f32; everything between the two projections is stored in the
/// context's `activationStorage`.
struct FluxSingleStreamBlock: Sendable {
    let modulation: FluxModulation
    let linear1: Linear
    let linear2: Linear
    let queryNorm: Tensor
    let keyNorm: Tensor
    let attention: FluxAttention

    /// The block's weights under `single_blocks.N.`.
    init(_ weights: ModelWeights, _ c: FluxConfiguration) throws(ModelLoadingError) {
        let (hidden, mlp, d) = (c.hiddenSize, c.parameters.mlpHiddenSize, c.headDimension)
        modulation = try FluxModulation(weights, "modulation.lin", hidden: hidden, chunks: 3)
        linear1 = try weights.linear("linear1", inputs: hidden, outputs: 3 * hidden + mlp)
        linear2 = try weights.linear("linear2", inputs: hidden + mlp, outputs: hidden)
        queryNorm = try weights.float32("norm.query_norm.scale", shape: [d])
        keyNorm = try weights.float32("norm.key_norm.scale", shape: [d])
        attention = FluxAttention(heads: c.headCount, headDimension: c.headDimension)
    }

    func callAsFunction(_ x: Tensor, activatedVector: Tensor, table: Tensor, bias: QueryRunBias? = nil,
                        on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        let hidden = attention.heads * attention.headDimension
        let storage = recorder.context.activationStorage
        let mod = try modulation(activatedVector, on: recorder)
        // GELU applies to the MLP columns only; q, k and v come out as they are.
        let fused = try linear1(recorder.fluxModulatedNorm(x, shift: mod[0], scale: mod[1], outputDType: storage),
                                epilogue: .activated(.geluTanh, fromColumn: 3 * hidden), storing: storage, on: recorder)
        let (batch, tokens) = (x.shape[0], x.shape[1])
        let (query, key) = try (attention.makeJoint(batch: batch, tokens: tokens, dtype: storage, on: recorder),
                                attention.makeJoint(batch: batch, tokens: tokens, dtype: storage, on: recorder))
        try attention.normalizeAndRotate(attention.headView(of: fused, startingAt: 0), scale: queryNorm, table: table,
                                         tokens: 0..<tokens, into: query, on: recorder)
        try attention.normalizeAndRotate(attention.headView(of: fused, startingAt: hidden), scale: keyNorm, table: table,
                                         tokens: 0..<tokens, into: key, on: recorder)
        let attended = try attention(query: query, key: key, value: attention.headView(of: fused, startingAt: 2 * hidden),
                                     bias: bias, storing: storage, on: recorder)
        let mlp = try fused.sliced(axis: 2, (3 * hidden)..<fused.shape[2])
        return try linear2(recorder.concatenate([attended, mlp], axis: 2), epilogue: .adding(to: x, gate: mod[2]), on: recorder)
    }
}

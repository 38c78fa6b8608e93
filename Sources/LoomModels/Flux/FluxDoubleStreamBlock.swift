import LoomModelFiles
import LoomVulkan

/// A double-stream block: image and text tokens keep separate weights but attend jointly
/// (text first). Each stream: modulated norm → fused qkv → joint attention → gated projection,
/// then modulated norm → GELU(tanh) MLP → gated residual. The residual streams stay f32; what
/// the projections read (normalised inputs, q, k, v, attention output, MLP hidden) is stored in
/// the context's `activationStorage`.
struct FluxDoubleStreamBlock: Sendable {
    struct Stream: Sendable {
        let modulation: FluxModulation
        let qkv: Linear
        let queryNorm: Tensor
        let keyNorm: Tensor
        let projection: Linear
        let mlpIn: Linear
        let mlpOut: Linear

        init(_ weights: ModelWeights, _ name: String, _ c: FluxConfiguration) throws(ModelLoadingError) {
            let (hidden, mlp, d) = (c.hiddenSize, c.parameters.mlpHiddenSize, c.headDimension)
            modulation = try FluxModulation(weights, "\(name)_mod.lin", hidden: hidden, chunks: 6)
            qkv = try weights.linear("\(name)_attn.qkv", inputs: hidden, outputs: 3 * hidden)
            queryNorm = try weights.float32("\(name)_attn.norm.query_norm.scale", shape: [d])
            keyNorm = try weights.float32("\(name)_attn.norm.key_norm.scale", shape: [d])
            projection = try weights.linear("\(name)_attn.proj", inputs: hidden, outputs: hidden)
            mlpIn = try weights.linear("\(name)_mlp.0", inputs: hidden, outputs: mlp)
            mlpOut = try weights.linear("\(name)_mlp.2", inputs: mlp, outputs: hidden)
        }
    }

    let image: Stream
    let text: Stream
    let attention: FluxAttention

    /// The block's weights under `double_blocks.N.`.
    init(_ weights: ModelWeights, _ c: FluxConfiguration) throws(ModelLoadingError) {
        image = try Stream(weights, "img", c)
        text = try Stream(weights, "txt", c)
        attention = FluxAttention(heads: c.headCount, headDimension: c.headDimension)
    }

    func callAsFunction(image img: Tensor, text txt: Tensor, activatedVector: Tensor, table: Tensor,
                        bias: QueryRunBias? = nil, on recorder: CommandRecorder) throws(VulkanError) -> (image: Tensor, text: Tensor) {
        let hidden = attention.heads * attention.headDimension
        let storage = recorder.context.activationStorage
        let imageMod = try image.modulation(activatedVector, on: recorder)
        let textMod = try text.modulation(activatedVector, on: recorder)

        // Each stream's q and k are normalised and rotated straight into the joint sequence
        // (text first); v is copied there.
        let (batch, textTokens) = (img.shape[0], txt.shape[1])
        let tokens = textTokens + img.shape[1]
        let (query, key) = try (attention.makeJoint(batch: batch, tokens: tokens, dtype: storage, on: recorder),
                                attention.makeJoint(batch: batch, tokens: tokens, dtype: storage, on: recorder))
        let value = try recorder.context.makeTensor(shape: [batch, tokens, attention.heads, attention.headDimension], dtype: storage)
        for (stream, x, mod, range) in [(text, txt, textMod, 0..<textTokens), (image, img, imageMod, textTokens..<tokens)] {
            let qkv = try stream.qkv(recorder.fluxModulatedNorm(x, shift: mod[0], scale: mod[1], outputDType: storage),
                                     storing: storage, on: recorder)
            try attention.normalizeAndRotate(attention.headView(of: qkv, startingAt: 0), scale: stream.queryNorm, table: table,
                                             tokens: range, into: query, on: recorder)
            try attention.normalizeAndRotate(attention.headView(of: qkv, startingAt: hidden), scale: stream.keyNorm, table: table,
                                             tokens: range, into: key, on: recorder)
            try recorder.copy(attention.headView(of: qkv, startingAt: 2 * hidden), into: value.sliced(axis: 1, range))
        }
        let joint = try attention(query: query, key: key, value: value, bias: bias, storing: storage, on: recorder)
        let textAttention = try joint.sliced(axis: 1, 0..<textTokens)
        let imageAttention = try joint.sliced(axis: 1, textTokens..<joint.shape[1])

        func residuals(_ stream: Stream, _ x: Tensor, _ attended: Tensor, _ mod: [Tensor]) throws(VulkanError) -> Tensor {
            let afterAttention = try stream.projection(attended, epilogue: .adding(to: x, gate: mod[2]), on: recorder)
            let normed = try recorder.fluxModulatedNorm(afterAttention, shift: mod[3], scale: mod[4], outputDType: storage)
            let hidden = try stream.mlpIn(normed, epilogue: .activated(.geluTanh), storing: storage, on: recorder)
            return try stream.mlpOut(hidden, epilogue: .adding(to: afterAttention, gate: mod[5]), on: recorder)
        }
        return (try residuals(image, img, imageAttention, imageMod), try residuals(text, txt, textAttention, textMod))
    }
}

import LoomVulkan

/// The MLP nonlinearity of a transformers-style encoder layer, which the file's shapes do not tell.
public enum EncoderActivation: Sendable, Hashable {
    /// `x·σ(1.702x)`: OpenAI's CLIP-L (text and vision).
    case quickGELU
    /// Exact GELU: OpenCLIP ViT-G and ViT-H.
    case gelu
    /// GELU's tanh approximation (`gelu_pytorch_tanh`): SigLIP.
    case geluTanh
}

/// A pre-norm transformer encoder layer under transformers' CLIP / SigLIP names: `layer_norm1`,
/// `self_attn.{q,k,v,out}_proj` with biases, `layer_norm2`, `mlp.fc1` → activation → `mlp.fc2`,
/// each branch added back to the tokens.
struct EncoderLayer: Sendable {
    let attentionNorm: LayerNormWeights
    let query, key, value, output: Linear
    let mlpNorm: LayerNormWeights
    let up, down: Linear

    init(_ weights: ModelWeights, _ module: String, width: Int, mlpHiddenSize: Int) throws(ModelLoadingError) {
        let layer = weights.scoped(module + ".")
        attentionNorm = try LayerNormWeights(layer, "layer_norm1", width: width)
        query = try layer.linear("self_attn.q_proj", inputs: width, outputs: width)
        key = try layer.linear("self_attn.k_proj", inputs: width, outputs: width)
        value = try layer.linear("self_attn.v_proj", inputs: width, outputs: width)
        output = try layer.linear("self_attn.out_proj", inputs: width, outputs: width)
        mlpNorm = try LayerNormWeights(layer, "layer_norm2", width: width)
        up = try layer.linear("mlp.fc1", inputs: width, outputs: mlpHiddenSize)
        down = try layer.linear("mlp.fc2", inputs: mlpHiddenSize, outputs: width)
    }

    /// `x` is [B, L, width]; `mask` an additive [L, L] attention bias (CLIP text's causal mask) or nil.
    func callAsFunction(_ x: Tensor, heads: Int, mask: Tensor? = nil, activation: EncoderActivation,
                        on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        let normed = try attentionNorm(x, on: recorder)
        let attended = try recorder.attention(
            query: query(normed, on: recorder), key: key(normed, on: recorder), value: value(normed, on: recorder),
            heads: heads, bias: mask)
        let x = try output(attended, epilogue: .adding(to: x), on: recorder)
        let fused: MatmulEpilogue.Activation = switch activation {
        case .quickGELU: .quickGELU
        case .gelu: .gelu
        case .geluTanh: .geluTanh
        }
        let hidden = try up(mlpNorm(x, on: recorder), epilogue: .activated(fused), on: recorder)
        return try down(hidden, epilogue: .adding(to: x), on: recorder)
    }
}

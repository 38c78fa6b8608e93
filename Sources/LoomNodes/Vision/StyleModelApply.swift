import LoomGraph
import LoomModels

/// Appends a style model's tokens for an encoded image after every entry's text tokens (ComfyUI's
/// StyleModelApply). `multiply` scales the tokens by `strength`. `attn_bias` at strength 1 changes nothing, as
/// in ComfyUI; other strengths need an attention bias toward the image tokens, which Loom's Flux transformer
/// does not take, so they fail validation. Not a CPU node: the Redux projection runs on the device.
public struct StyleModelApply: Node {
    public static let schema = NodeSchema(
        name: "StyleModelApply", displayName: "Apply Style Model", category: "conditioning/style_model",
        inputs: [
            .link("conditioning", "CONDITIONING"), .link("style_model", "STYLE_MODEL"),
            .link("clip_vision_output", "CLIP_VISION_OUTPUT"),
            .float("strength", default: 1, min: 0, max: 10, step: 0.001),
            .combo("strength_type", ["multiply", "attn_bias"]),
        ],
        outputs: [OutputSpec("CONDITIONING")])

    public init() {}

    public static func validate(_ inputs: NodeInputs, resources: Resources) -> String? {
        guard let type = inputs.values["strength_type"] as? String, let strength = inputs.values["strength"] as? Double else { return nil }
        return unsupported(type: type, strength: strength)
    }

    static func unsupported(type: String, strength: Double) -> String? {
        guard type == "attn_bias", strength != 1 else { return nil }
        return "strength_type 'attn_bias' with strength \(strength) is not supported by Loom (it needs an attention bias in the Flux transformer); use 'multiply', or strength 1"
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let conditioning: Conditioning = try inputs("conditioning")
        let styleModel: StyleModel = try inputs("style_model")
        let output: VisionEncoderOutput = try inputs("clip_vision_output")
        let strength: Double = try inputs("strength")
        let type: String = try inputs("strength_type")
        if let message = Self.unsupported(type: type, strength: strength) { throw NodeError(node, message) }
        let tokens: HostTensor
        do { tokens = try styleModel.tokens(for: output) } catch { throw NodeError(node, "clip_vision_output: \(error)") }
        // Every image's tokens in one sequence, as ComfyUI flattens the batch.
        let width = tokens.shape[2]
        let scale = type == "multiply" ? Float(strength) : 1
        let imageTokens = HostTensor(shape: [1, tokens.shape[0] * tokens.shape[1], width], values: scale == 1 ? tokens.values : tokens.values.map { $0 * scale })
        var entries: [Conditioning.Entry] = []
        for var entry in conditioning.entries {
            let text = entry.crossAttention
            guard text.rank == 3, text.shape[0] == 1, text.shape[2] == width else {
                throw NodeError(node, "conditioning: the style model adds tokens [1, N, \(width)] after text tokens [1, T, \(width)], but the conditioning has \(text.shape)")
            }
            entry.crossAttention = HostTensor(shape: [1, text.shape[1] + imageTokens.shape[1], width], values: text.values + imageTokens.values)
            entries.append(entry)
        }
        return NodeResult([Conditioning(entries)])
    }
}

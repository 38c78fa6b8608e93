import Foundation
import LoomGraph
import LoomModels

/// Appends a style model's tokens for an encoded image after every entry's text tokens (ComfyUI's
/// StyleModelApply). `multiply` scales the tokens by `strength`. `attn_bias` leaves them and biases every
/// other token's attention toward them by log(strength) instead, through the entry's attention mask
/// (`JointAttentionMask`, ComfyUI's `attention_mask`); as in ComfyUI, strength 1 adds no mask, and an entry that
/// already has one gets it extended either way. Not a CPU node: the Redux projection runs on the device.
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

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let conditioning: Conditioning = try inputs("conditioning")
        let styleModel: StyleModel = try inputs("style_model")
        let output: VisionEncoderOutput = try inputs("clip_vision_output")
        let strength: Double = try inputs("strength")
        let type: String = try inputs("strength_type")
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
            if entry.attentionMask != nil || (type == "attn_bias" && strength != 1) {
                var mask = entry.attentionMask ?? JointAttentionMask(textTokens: text.shape[1])
                guard mask.textTokens == text.shape[1] else {
                    throw NodeError(node, "conditioning: its attention mask covers \(mask.textTokens) text tokens but it has \(text.shape[1]); tokens were added after an earlier style model without extending the mask")
                }
                // log(0) = −∞ removes the tokens from attention, as torch.log gives in ComfyUI.
                mask.appendTokens(imageTokens.shape[1], bias: type == "attn_bias" ? log(Float(strength)) : 0)
                entry.attentionMask = mask
            }
            entry.crossAttention = HostTensor(shape: [1, text.shape[1] + imageTokens.shape[1], width], values: text.values + imageTokens.values)
            entries.append(entry)
        }
        return NodeResult([Conditioning(entries)])
    }
}

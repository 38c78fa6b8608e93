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
        var imageTokens: HostTensor
        do { imageTokens = try styleModel.tokenSequence(for: output) } catch { throw NodeError(node, "clip_vision_output: \(error)") }
        if type == "multiply" && strength != 1 { imageTokens.values = imageTokens.values.map { $0 * Float(strength) } }
        let applied = try conditioning.appendingStyleTokens(imageTokens, node: node) { entry, textTokens in
            guard entry.attentionMask != nil || (type == "attn_bias" && strength != 1) else { return }
            var mask = entry.attentionMask ?? JointAttentionMask(textTokens: textTokens)
            guard mask.textTokens == textTokens else {
                throw NodeError(node, "conditioning: its attention mask covers \(mask.textTokens) text tokens but it has \(textTokens); tokens were added after an earlier style model without extending the mask")
            }
            // log(0) = −∞ removes the tokens from attention, as torch.log gives in ComfyUI.
            mask.appendTokens(imageTokens.shape[1], bias: type == "attn_bias" ? log(Float(strength)) : 0)
            entry.attentionMask = mask
        }
        return NodeResult([applied])
    }
}

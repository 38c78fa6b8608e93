import LoomGraph
import LoomImaging
import LoomModels

/// kaibioinfo's "Apply style model (simple)" (ComfyUI_AdvancedRefluxControl): the style model's tokens, viewed as
/// a square grid, shrunk by a factor of 1 (highest) to 5 (lowest) — area averaging at 3, bicubic otherwise, to
/// ⌊side / factor⌋ — then appended after the text tokens. Fewer image tokens let the prompt matter more.
public struct StyleModelApplySimple: Node {
    static let strengths = ["highest", "high", "medium", "low", "lowest"]

    public static let schema = NodeSchema(
        name: "StyleModelApplySimple", displayName: "Apply style model (simple)", category: "conditioning/style_model",
        inputs: [
            .link("conditioning", "CONDITIONING"), .link("style_model", "STYLE_MODEL"),
            .link("clip_vision_output", "CLIP_VISION_OUTPUT"),
            .combo("image_strength", strengths, default: "medium"),
        ],
        outputs: [OutputSpec("CONDITIONING")],
        pythonModule: ReduxAdvanced.pythonModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let conditioning: Conditioning = try inputs("conditioning")
        let styleModel: StyleModel = try inputs("style_model")
        let output: VisionEncoderOutput = try inputs("clip_vision_output")
        let strength: String = try inputs("image_strength")
        guard let index = Self.strengths.firstIndex(of: strength) else {
            throw NodeError(node, "image_strength: '\(strength)' is not one of \(Self.strengths.joined(separator: ", "))")
        }
        var grid: StyleTokenGrid
        do { grid = StyleTokenGrid(tokens: try styleModel.tokenSequence(for: output)) } catch { throw NodeError(node, "clip_vision_output: \(error)") }
        let factor = index + 1
        if factor > 1 {
            guard let side = grid.side else {
                throw NodeError(node, "clip_vision_output: \(grid.tokens.shape[1]) image tokens do not form a square grid to shrink (the pack shrinks one image's tokens); use image_strength 'highest' for several images")
            }
            guard side / factor > 0 else { throw NodeError(node, "clip_vision_output: a \(side) × \(side) token grid cannot shrink by \(factor)") }
            grid = grid.resampled(from: side, to: side / factor, method: factor == 3 ? .area : .bicubic)
        }
        return NodeResult([try conditioning.appendingStyleTokens(grid.tokens, node: node)])
    }
}

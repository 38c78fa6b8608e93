import LoomGraph
import LoomModels

/// SDXL's encoder with a prompt per text encoder and the size conditioning SDXL was trained with.
public struct CLIPTextEncodeSDXL: Node {
    public static let schema = NodeSchema(
        name: "CLIPTextEncodeSDXL", category: "advanced/conditioning",
        inputs: [
            .link("clip", "CLIP"),
            .int("width", default: 1024, min: 0, max: ImageNodes.maxResolution),
            .int("height", default: 1024, min: 0, max: ImageNodes.maxResolution),
            .int("crop_w", default: 0, min: 0, max: ImageNodes.maxResolution),
            .int("crop_h", default: 0, min: 0, max: ImageNodes.maxResolution),
            .int("target_width", default: 1024, min: 0, max: ImageNodes.maxResolution),
            .int("target_height", default: 1024, min: 0, max: ImageNodes.maxResolution),
            .string("text_g", multiline: true),
            .string("text_l", multiline: true),
        ],
        outputs: [OutputSpec("CONDITIONING")], pythonModule: "comfy_extras.nodes_clip_sdxl")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let encoder = try SDXLConditioning.encoder(inputs, node: Self.schema.name)
        let clip: TextEncoder = try inputs("clip")
        let (crossAttention, pooled) = try encoder.encode(
            textG: try inputs("text_g"), textL: try inputs("text_l"), layer: clip.clipLayer ?? SDXLTextEncoder.defaultLayer)
        var entry = Conditioning.Entry(crossAttention: crossAttention, pooledOutput: pooled)
        entry.size = SizeConditioning(
            width: try inputs("width"), height: try inputs("height"), cropWidth: try inputs("crop_w"), cropHeight: try inputs("crop_h"),
            targetWidth: try inputs("target_width"), targetHeight: try inputs("target_height"))
        return NodeResult([Conditioning([entry])])
    }
}

/// The SDXL refiner's encoder: CLIP-G with an aesthetic score and the image size.
public struct CLIPTextEncodeSDXLRefiner: Node {
    public static let schema = NodeSchema(
        name: "CLIPTextEncodeSDXLRefiner", category: "advanced/conditioning",
        inputs: [
            .float("ascore", default: 6.0, min: 0, max: 1000, step: 0.01),
            .int("width", default: 1024, min: 0, max: ImageNodes.maxResolution),
            .int("height", default: 1024, min: 0, max: ImageNodes.maxResolution),
            .string("text", multiline: true),
            .link("clip", "CLIP"),
        ],
        outputs: [OutputSpec("CONDITIONING")], pythonModule: "comfy_extras.nodes_clip_sdxl")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let encoder = try SDXLConditioning.encoder(inputs, node: Self.schema.name)
        let clip: TextEncoder = try inputs("clip")
        let text: String = try inputs("text")
        let (crossAttention, pooled) = try encoder.encode(textG: text, textL: text, layer: clip.clipLayer ?? SDXLTextEncoder.defaultLayer)
        var entry = Conditioning.Entry(crossAttention: crossAttention, pooledOutput: pooled)
        entry.size = SizeConditioning(width: try inputs("width"), height: try inputs("height"), aestheticScore: try inputs("ascore"))
        return NodeResult([Conditioning([entry])])
    }
}

enum SDXLConditioning {
    static func encoder(_ inputs: NodeInputs, node: String) throws -> SDXLTextEncoder {
        let clip: TextEncoder = try inputs("clip")
        guard case .sdxl(let encoder) = clip.kind else {
            throw NodeError(node, "clip: needs an SDXL CLIP (an SDXL checkpoint, or DualCLIPLoader type sdxl), got \(clip.kind.name)")
        }
        return encoder
    }
}

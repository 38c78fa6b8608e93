import LoomGraph
import LoomModels

/// Encodes a prompt, with ComfyUI's `(text:1.2)` weighting, into conditioning for the CLIP's model.
public struct CLIPTextEncode: Node {
    public static let schema = NodeSchema(
        name: "CLIPTextEncode", displayName: "CLIP Text Encode (Prompt)", category: "conditioning",
        inputs: [.string("text", multiline: true), .link("clip", "CLIP")],
        outputs: [OutputSpec("CONDITIONING")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let clip: TextEncoder = try inputs("clip")
        return NodeResult([try clip.encode(try inputs("text"))])
    }
}

/// Flux's encoder with a prompt per text encoder and the distilled guidance set on the conditioning.
public struct CLIPTextEncodeFlux: Node {
    public static let schema = NodeSchema(
        name: "CLIPTextEncodeFlux", category: "advanced/conditioning/flux",
        inputs: [
            .link("clip", "CLIP"),
            .string("clip_l", multiline: true),
            .string("t5xxl", multiline: true),
            .float("guidance", default: Double(FluxTransformer.defaultGuidance), min: 0, max: 100, step: 0.1),
        ],
        outputs: [OutputSpec("CONDITIONING")], pythonModule: "comfy_extras.nodes_flux")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let clip: TextEncoder = try inputs("clip")
        guard case .flux(let encoder) = clip.kind else {
            throw NodeError(Self.schema.name, "clip: needs a Flux CLIP (DualCLIPLoader type flux), got \(clip.kind.name)")
        }
        let guidance: Double = try inputs("guidance")
        let (crossAttention, pooled) = try encoder.encode(clipL: try inputs("clip_l"), t5xxl: try inputs("t5xxl"))
        let entry = Conditioning.Entry(crossAttention: crossAttention, pooledOutput: pooled, guidance: guidance)
        return NodeResult([Conditioning([entry])])
    }
}

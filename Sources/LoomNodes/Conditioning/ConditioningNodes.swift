import LoomGraph
import LoomModels

/// Sets Flux's distilled guidance scale on every entry.
public struct FluxGuidance: CPUNode {
    public static let schema = NodeSchema(
        name: "FluxGuidance", category: "advanced/conditioning/flux",
        inputs: [.link("conditioning", "CONDITIONING"), .float("guidance", default: Double(FluxTransformer.defaultGuidance), min: 0, max: 100, step: 0.1)],
        outputs: [OutputSpec("CONDITIONING")], pythonModule: "comfy_extras.nodes_flux")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let conditioning: Conditioning = try inputs("conditioning")
        let guidance: Double = try inputs("guidance")
        return NodeResult([conditioning.updatingEntries { $0.guidance = guidance }])
    }
}

/// Zeros the token sequence and the pooled output of every entry, keeping the other extras: the empty
/// negative prompt Flux workflows use.
public struct ConditioningZeroOut: CPUNode {
    public static let schema = NodeSchema(
        name: "ConditioningZeroOut", category: "advanced/conditioning",
        inputs: [.link("conditioning", "CONDITIONING")],
        outputs: [OutputSpec("CONDITIONING")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let conditioning: Conditioning = try inputs("conditioning")
        return NodeResult([conditioning.updatingEntries { entry in
            entry.crossAttention = HostTensor(zeros: entry.crossAttention.shape)
            entry.pooledOutput = entry.pooledOutput.map { HostTensor(zeros: $0.shape) }
        }])
    }
}

/// Takes CLIP's token sequence from an earlier layer (−1 is the last, −2 the penultimate that many SD1.x
/// models want), with the final layer norm applied as ComfyUI does.
public struct CLIPSetLastLayer: CPUNode {
    public static let schema = NodeSchema(
        name: "CLIPSetLastLayer", displayName: "CLIP Set Last Layer", category: "conditioning",
        inputs: [.link("clip", "CLIP"), .int("stop_at_clip_layer", default: -1, min: -24, max: -1)],
        outputs: [OutputSpec("CLIP")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        var clip: TextEncoder = try inputs("clip")
        clip.clipLayer = .hidden(try inputs("stop_at_clip_layer"))
        return NodeResult([clip])
    }
}

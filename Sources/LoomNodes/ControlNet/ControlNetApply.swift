import LoomGraph
import LoomImaging

/// Attaches a ControlNet with its hint to both prompts (ComfyUI's "Apply ControlNet"). An entry that already carries
/// ControlNets keeps them: the new one is chained after them and their residuals add up. Strength 0 leaves the
/// conditionings as they are. The hint is prepared when sampling, at the latent's size.
public struct ControlNetApplyAdvanced: CPUNode {
    public static let schema = NodeSchema(
        name: "ControlNetApplyAdvanced", displayName: "Apply ControlNet", category: "conditioning/controlnet",
        inputs: [
            .link("positive", "CONDITIONING"), .link("negative", "CONDITIONING"), .link("control_net", "CONTROL_NET"),
            .link("image", "IMAGE"),
            .float("strength", default: 1, min: 0, max: 10, step: 0.01),
            .float("start_percent", default: 0, min: 0, max: 1, step: 0.001),
            .float("end_percent", default: 1, min: 0, max: 1, step: 0.001),
            .link("vae", "VAE", section: .optional),
        ],
        outputs: [OutputSpec("CONDITIONING", name: "positive"), OutputSpec("CONDITIONING", name: "negative")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let positive: Conditioning = try inputs("positive")
        let negative: Conditioning = try inputs("negative")
        let strength: Double = try inputs("strength")
        if strength == 0 { return NodeResult([positive, negative]) }
        let controlNet: ControlNet = try inputs("control_net")
        let vae = try inputs.optional("vae", as: VAE.self)
        if controlNet.needsVAE && vae == nil {
            throw NodeError(node, "vae: the \(controlNet.network) encodes its hint image with the VAE; connect the vae input")
        }
        let link = ControlChain.Link(
            controlNet: controlNet, hint: try inputs("image"), strength: strength,
            startPercent: try inputs("start_percent"), endPercent: try inputs("end_percent"), vae: vae)
        return NodeResult([positive.chaining(link, appliesToNegative: false), negative.chaining(link, appliesToNegative: false)])
    }
}

/// The older "Apply ControlNet (OLD)": one conditioning, the whole run, no VAE. ComfyUI also gives the ControlNet to
/// a negative prompt that has none of its own. ControlNets whose hint needs a VAE (every Flux one) cannot be used here.
public struct ControlNetApply: CPUNode {
    public static let schema = NodeSchema(
        name: "ControlNetApply", displayName: "Apply ControlNet (OLD)", category: "conditioning/controlnet",
        inputs: [
            .link("conditioning", "CONDITIONING"), .link("control_net", "CONTROL_NET"), .link("image", "IMAGE"),
            .float("strength", default: 1, min: 0, max: 10, step: 0.01),
        ],
        outputs: [OutputSpec("CONDITIONING")], isDeprecated: true)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let conditioning: Conditioning = try inputs("conditioning")
        let strength: Double = try inputs("strength")
        if strength == 0 { return NodeResult([conditioning]) }
        let controlNet: ControlNet = try inputs("control_net")
        if controlNet.needsVAE {
            throw NodeError(Self.schema.name, "control_net: the \(controlNet.network) encodes its hint image with a VAE, which this node cannot take; use Apply ControlNet (ControlNetApplyAdvanced) with its vae input")
        }
        let link = ControlChain.Link(controlNet: controlNet, hint: try inputs("image"), strength: strength,
                                     startPercent: 0, endPercent: 1, vae: nil)
        return NodeResult([conditioning.chaining(link, appliesToNegative: true)])
    }
}

extension Conditioning {
    /// Every entry with `link` chained after its ControlNets.
    func chaining(_ link: ControlChain.Link, appliesToNegative: Bool) -> Conditioning {
        updatingEntries { entry in
            entry.control = ControlChain(links: (entry.control?.links ?? []) + [link], appliesToNegative: appliesToNegative)
        }
    }
}

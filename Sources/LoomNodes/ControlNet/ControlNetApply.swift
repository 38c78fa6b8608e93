import LoomGraph
import LoomImaging
import LoomModels

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

/// Apply ControlNet with an inpainting mask (ComfyUI's ControlNetInpaintingAliMamaApply): for a ControlNet that takes a
/// mask (Alimama's Flux inpainting one), the picture is blacked out where the mask is set (the mask resized bilinearly
/// and rounded) and the inverted mask becomes the hint's extra channel; any other ControlNet is applied as Apply
/// ControlNet applies it.
public struct ControlNetInpaintingAliMamaApply: CPUNode {
    public static let schema = NodeSchema(
        name: "ControlNetInpaintingAliMamaApply", category: "conditioning/controlnet",
        inputs: [
            .link("positive", "CONDITIONING"), .link("negative", "CONDITIONING"), .link("control_net", "CONTROL_NET"),
            .link("vae", "VAE"), .link("image", "IMAGE"), .link("mask", "MASK"),
            .float("strength", default: 1, min: 0, max: 10, step: 0.01),
            .float("start_percent", default: 0, min: 0, max: 1, step: 0.001),
            .float("end_percent", default: 1, min: 0, max: 1, step: 0.001),
        ],
        outputs: [OutputSpec("CONDITIONING", name: "positive"), OutputSpec("CONDITIONING", name: "negative")],
        pythonModule: "comfy_extras.nodes_controlnet")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let positive: Conditioning = try inputs("positive")
        let negative: Conditioning = try inputs("negative")
        let strength: Double = try inputs("strength")
        if strength == 0 { return NodeResult([positive, negative]) }
        let controlNet: ControlNet = try inputs("control_net")
        var image: Image = try inputs("image")
        var extraConcat: [HostTensor] = []
        if controlNet.concatMask {
            let mask: Mask = try inputs("mask")
            guard mask.batchCount == image.batchCount || mask.batchCount == 1 else {
                throw NodeError(Self.schema.name, "mask: \(mask.batchCount) masks for \(image.batchCount) images; give one mask or one per image")
            }
            let kept = HostTensor(shape: [mask.batchCount, 1, mask.height, mask.width], values: mask.values.map { 1 - $0 })
            let applied = kept.resizedPlanes(height: image.height, width: image.width, method: .bilinear, centerCrop: true).values
                .map { $0.rounded(.toNearestOrEven) }
            let plane = image.height * image.width
            var pixels = image.pixels
            for index in pixels.indices {
                let pixel = index / image.channels
                let (item, position) = (pixel / plane, pixel % plane)
                pixels[index] *= applied[(mask.batchCount == 1 ? 0 : item) * plane + position]
            }
            image = Image(batchCount: image.batchCount, height: image.height, width: image.width, channels: image.channels, pixels: pixels)
            extraConcat = [kept]
        }
        var link = ControlChain.Link(
            controlNet: controlNet, hint: image, strength: strength,
            startPercent: try inputs("start_percent"), endPercent: try inputs("end_percent"), vae: try inputs("vae", as: VAE.self))
        link.extraConcat = extraConcat
        return NodeResult([positive.chaining(link, appliesToNegative: false), negative.chaining(link, appliesToNegative: false)])
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

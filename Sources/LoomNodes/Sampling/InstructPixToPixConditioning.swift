import LoomGraph
import LoomImaging
import LoomModels

/// The control image's latent as extra input channels of both prompts (ComfyUI's InstructPixToPixConditioning): what
/// BFL's Flux Canny and Depth dev models (128 input channels) and InstructPix2Pix UNets take. The pixels are cut to a
/// multiple of 8 about the centre; the latent to sample is zeros of the same size.
public struct InstructPixToPixConditioning: Node {
    public static let schema = NodeSchema(
        name: "InstructPixToPixConditioning", category: "conditioning/instructpix2pix",
        inputs: [.link("positive", "CONDITIONING"), .link("negative", "CONDITIONING"), .link("vae", "VAE"), .link("pixels", "IMAGE")],
        outputs: [
            OutputSpec("CONDITIONING", name: "positive"), OutputSpec("CONDITIONING", name: "negative"),
            OutputSpec("LATENT", name: "latent"),
        ],
        pythonModule: "comfy_extras.nodes_ip2p")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        var image = try inputs("pixels", as: Image.self)
        let (height, width) = (image.height / 8 * 8, image.width / 8 * 8)
        guard height > 0, width > 0, image.batchCount > 0 else {
            throw NodeError(node, "pixels: a \(image.width)×\(image.height) image is smaller than one 8×8 latent cell")
        }
        if height != image.height || width != image.width {
            image = image.cropped(x: (image.width % 8) / 2, y: (image.height % 8) / 2, width: width, height: height)
        }
        let concatLatent = try VAECoding.encode(image, try inputs("vae", as: VAE.self), tiling: .automatic, node: node, context: context)
        let attach: (inout Conditioning.Entry) -> Void = { $0.concatLatentImage = concatLatent }
        return NodeResult([
            try inputs("positive", as: Conditioning.self).updatingEntries(attach),
            try inputs("negative", as: Conditioning.self).updatingEntries(attach),
            Latent(samples: HostTensor(zeros: concatLatent.shape)),
        ])
    }
}

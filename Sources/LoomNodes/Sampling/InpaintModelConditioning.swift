import LoomGraph
import LoomImaging
import LoomModels

/// Prepares Flux Fill (and other inpainting models) inputs: the image with the masked area greyed is
/// encoded and attached with the mask to both prompts; the unmasked image becomes the latent to sample,
/// with the mask as its noise mask unless `noise_mask` is off.
public struct InpaintModelConditioning: Node {
    public static let schema = NodeSchema(
        name: "InpaintModelConditioning", displayName: "InpaintModelConditioning", category: "conditioning/inpaint",
        inputs: [
            .link("positive", "CONDITIONING"),
            .link("negative", "CONDITIONING"),
            .link("vae", "VAE"),
            .link("pixels", "IMAGE"),
            .link("mask", "MASK"),
            .boolean("noise_mask", default: true,
                     tooltip: "Add a noise mask to the latent so sampling will only happen within the mask."),
        ],
        outputs: [
            OutputSpec("CONDITIONING", name: "positive"), OutputSpec("CONDITIONING", name: "negative"),
            OutputSpec("LATENT", name: "latent"),
        ])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let image = try inputs("pixels", as: Image.self)
        let vae = try inputs("vae", as: VAE.self)
        let (cropped, mask) = vae.croppedToLatentGrid(image, mask: try inputs("mask", as: Mask.self))
        guard mask.batchCount == cropped.batchCount || mask.batchCount == 1 else {
            throw NodeError(node, "mask: \(mask.batchCount) masks for \(cropped.batchCount) images; give one mask or one per image")
        }
        let greyed = VAEEncodeForInpaint.greyed(cropped, where: mask.mapValues { $0.rounded(.toNearestOrEven) })
        let concatLatent = try VAECoding.encode(greyed, vae, tiling: .automatic, node: node, context: context)
        let samples = try VAECoding.encode(image, vae, tiling: .automatic, node: node, context: context)
        let maskTensor = HostTensor(shape: [mask.batchCount, 1, mask.height, mask.width], values: mask.values)
        let attach: (inout Conditioning.Entry) -> Void = {
            $0.concatLatentImage = concatLatent
            $0.concatMask = maskTensor
        }
        let latent = Latent(samples: samples, noiseMask: try inputs("noise_mask", as: Bool.self) ? maskTensor : nil)
        return NodeResult([
            try inputs("positive", as: Conditioning.self).updatingEntries(attach),
            try inputs("negative", as: Conditioning.self).updatingEntries(attach),
            latent,
        ])
    }
}

import LoomGraph
import LoomImaging
import LoomModels

/// Limits sampling to the masked area: the mask is kept at its own resolution, [B, 1, H, W].
public struct SetLatentNoiseMask: CPUNode {
    public static let schema = NodeSchema(
        name: "SetLatentNoiseMask", displayName: "Set Latent Noise Mask", category: "latent/inpaint",
        inputs: [.link("samples", "LATENT"), .link("mask", "MASK")],
        outputs: [OutputSpec("LATENT")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        var latent = try inputs("samples", as: Latent.self)
        let mask = try inputs("mask", as: Mask.self)
        latent.noiseMask = HostTensor(shape: [mask.batchCount, 1, mask.height, mask.width], values: mask.values)
        return NodeResult([latent])
    }
}

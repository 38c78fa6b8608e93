import LoomGraph

/// ComfyUI's "Load Diffusion Model": a transformer from `diffusion_models` (legacy `unet`).
///
/// `weight_dtype` is accepted for saved workflows. Loom always keeps weights in the file's own dtype
/// (bf16, f16, fp8 e4m3 with its scale, GGUF blocks) and accumulates in f32, so `default` is what
/// every choice does: `fp8_e4m3fn`/`fp8_e5m2` do not re-quantise a bf16 file (ComfyUI casts to save
/// memory; Loom streams blocks instead when the model does not fit), and `fp8_e4m3fn_fast` has no
/// fp8 matrix-multiply path to enable.
public struct UNETLoader: Node {
    static let weightTypes = ["default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"]

    public static let schema = NodeSchema(
        name: "UNETLoader", displayName: "Load Diffusion Model", category: "advanced/loaders",
        inputs: [
            .combo("unet_name", ComboOptions(choices: .files(folder: "diffusion_models"))),
            .combo("weight_dtype", weightTypes),
        ],
        outputs: [OutputSpec("MODEL")])

    public init() {}

    /// The named files' contents: a model replaced under the same name re-runs the loader.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        ModelFileFingerprint.of(inputs, [("unet_name", "diffusion_models")], resources: resources)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let name: String = try inputs("unet_name")
        let (file, detected, parameters) = try DiffusionModelFiles.openFlux(
            name, folder: "diffusion_models", input: "unet_name", node: Self.schema.name, resources: context.resources)
        return NodeResult([try DiffusionModelFiles.fluxModel(file, detected, parameters)])
    }
}

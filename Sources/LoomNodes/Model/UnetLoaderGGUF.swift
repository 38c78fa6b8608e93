import LoomGraph

/// ComfyUI-GGUF's "Unet Loader (GGUF)": a `.gguf` transformer (city96's Flux quantisations) from the
/// `unet_gguf` view of `diffusion_models`. Q8_0 and Q4_0 blocks are read by the matmul shaders as
/// stored; other quantisations are expanded to f16 when uploaded.
public struct UnetLoaderGGUF: Node {
    public static let schema = NodeSchema(
        name: "UnetLoaderGGUF", displayName: "Unet Loader (GGUF)", category: "bootleg",
        inputs: [.combo("unet_name", ComboOptions(choices: .files(folder: "unet_gguf")))],
        outputs: [OutputSpec("MODEL")])

    public init() {}

    /// The named files' contents: a model replaced under the same name re-runs the loader.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        ModelFileLookup.fingerprint(inputs, [("unet_name", "unet_gguf")], resources: resources)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let name: String = try inputs("unet_name")
        let node = Self.schema.name
        return NodeResult([try DiffusionModelFiles.load(
            name, folder: "unet_gguf", input: "unet_name", node: node, resources: context.resources,
            check: { file in
                guard file.format == .gguf else {
                    throw NodeError(node, "unet_name: \(name) is a \(file.format.rawValue) file, not GGUF (load it with UNETLoader)")
                }
            })])
    }
}

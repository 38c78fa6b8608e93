import LoomGraph
import LoomModelFiles
import LoomModels
import LoomText

/// Loads one text encoder as a CLIP. Loom implements `stable_diffusion` with a CLIP-L file (SD1.x
/// conditioning); `device` is accepted for saved workflows and Loom uses its Vulkan device either way.
public struct CLIPLoader: Node {
    /// ComfyUI's choices, so that saved workflows validate; `supportedTypes` says what Loom runs.
    static let types = ["stable_diffusion", "stable_cascade", "sd3", "stable_audio", "mochi", "ltxv", "pixart", "cosmos", "lumina2",
                        "wan", "hidream", "chroma", "ace", "omnigen2", "qwen_image", "hunyuan_image", "flux2", "ovis"]
    static let supportedTypes: Set<String> = ["stable_diffusion"]

    public static let schema = NodeSchema(
        name: "CLIPLoader", displayName: "Load CLIP", category: "advanced/loaders",
        inputs: [
            .combo("clip_name", ComboOptions(choices: .files(folder: TextEncoderFiles.folder))),
            .combo("type", types),
            .combo("device", ["default", "cpu"], section: .optional),
        ],
        outputs: [OutputSpec("CLIP")])

    public init() {}

    /// The named files' contents: a model replaced under the same name re-runs the loader.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        ModelFileLookup.fingerprint(inputs, [("clip_name", TextEncoderFiles.folder)], resources: resources)
    }

    public static func validate(_ inputs: NodeInputs, resources: Resources) -> String? {
        guard let type = inputs.values["type"] as? String, !supportedTypes.contains(type) else { return nil }
        return "type '\(type)' is not supported by Loom (supported: \(supportedTypes.sorted().joined(separator: ", ")))"
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let name: String = try inputs("clip_name")
        let (file, architecture) = try TextEncoderFiles.open(name, input: "clip_name", node: node, resources: context.resources)
        guard case .clipText = architecture else {
            throw NodeError(node, "clip_name: type 'stable_diffusion' needs a CLIP-L file, but \(name) is a \(architecture)")
        }
        let weights = ModelWeights(file: file, context: try context.resources.computeDevice.context())
        return NodeResult([try TextEncoderAssembly.textEncoder([.clipL], weights: [.clipL: weights], resources: context.resources)])
    }
}

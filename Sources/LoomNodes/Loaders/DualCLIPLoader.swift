import LoomGraph
import LoomModelFiles
import LoomModels
import LoomText

/// Loads two text encoders into one CLIP. Loom implements the `flux` type (a CLIP-L and a T5 file) and
/// `sdxl` (CLIP-L and CLIP-G), in either order (ComfyUI tells them apart by their tensors, and so does Loom). The `device` option is
/// accepted for saved workflows; Loom runs text encoders on its Vulkan device either way.
public struct DualCLIPLoader: Node {
    /// ComfyUI's choices, so that saved workflows validate; `supportedTypes` says what Loom runs.
    static let types = ["sdxl", "sd3", "flux", "hunyuan_video", "hidream", "hunyuan_image", "hunyuan_video_15", "kandinsky5",
                        "kandinsky5_image", "newbie"]
    static var supportedTypes: Set<String> { Set(kinds.keys) }

    public static let schema = NodeSchema(
        name: "DualCLIPLoader", displayName: "DualCLIPLoader", category: "advanced/loaders",
        description: "Loads two text encoders as one CLIP; flux takes a CLIP-L and a T5-XXL file, sdxl a CLIP-L and a CLIP-G file.",
        inputs: [
            .combo("clip_name1", ComboOptions(choices: .files(folder: TextEncoderFiles.folder))),
            .combo("clip_name2", ComboOptions(choices: .files(folder: TextEncoderFiles.folder))),
            .combo("type", types),
            .combo("device", ["default", "cpu"], section: .optional),
        ],
        outputs: [OutputSpec("CLIP")])

    public init() {}

    /// The named files' contents: a model replaced under the same name re-runs the loader.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        ModelFileLookup.fingerprint(inputs, [("clip_name1", TextEncoderFiles.folder), ("clip_name2", TextEncoderFiles.folder)], resources: resources)
    }

    public static func validate(_ inputs: NodeInputs, resources: Resources) -> String? {
        guard let type = inputs.values["type"] as? String, !supportedTypes.contains(type) else { return nil }
        return "type '\(type)' is not supported by Loom (supported: \(supportedTypes.sorted().joined(separator: ", ")))"
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let type = try inputs("type", as: String.self)
        let first = try TextEncoderFiles.open(try inputs("clip_name1"), input: "clip_name1", node: node, resources: context.resources)
        let second = try TextEncoderFiles.open(try inputs("clip_name2"), input: "clip_name2", node: node, resources: context.resources)
        let kinds = Self.kinds[type] ?? []
        let device = try context.resources.computeDevice.context()
        var weights: [TextEncoderKind: ModelWeights] = [:]
        for (kind, file) in TextEncoderFiles.classify([first, second], wanting: kinds) {
            weights[kind] = ModelWeights(file: file, context: device)
        }
        guard Set(weights.keys) == Set(kinds) else {
            throw NodeError(node, "type '\(type)' needs \(kinds.map(\.rawValue).joined(separator: " and ")) files, got \(first.1) and \(second.1)")
        }
        return NodeResult([try TextEncoderAssembly.textEncoder(kinds, weights: weights, resources: context.resources)])
    }

    /// The text encoders of each type Loom runs.
    static let kinds: [String: [TextEncoderKind]] = ["flux": [.clipL, .t5xxl], "sdxl": [.clipL, .clipG]]
}

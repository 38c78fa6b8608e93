import LoomGraph
import LoomImaging

/// Saves images as PNG files in the output folder, with the prompt and workflow embedded.
public struct SaveImage: Node {
    public static let schema = NodeSchema(
        name: "SaveImage", displayName: "Save Image", category: "image",
        description: "Saves the input images to your ComfyUI output directory.",
        inputs: [
            .link("images", "IMAGE", tooltip: "The images to save."),
            .string(
                "filename_prefix", default: "ComfyUI",
                tooltip: "The prefix for the file to save. This may include formatting information such as "
                    + "%date:yyyy-MM-dd% or %Empty Latent Image.width% to include values from nodes."),
            .hidden("prompt", .prompt),
            .hidden("extra_pnginfo", .extraPNGInfo),
        ],
        isOutputNode: true)

    public init() {}

    // Not concurrent: file numbering reads the folder, so two saves at once could pick the same number.

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let saver = ImageSaver(node: Self.schema.name, folder: .output, compressionLevel: 4)
        return .ui(
            try saver.save(
                try inputs("images", as: Image.self), prefix: try inputs("filename_prefix", as: String.self),
                prompt: try inputs.optional("prompt", as: JSONValue.self),
                extraPNGInfo: try inputs.optional("extra_pnginfo", as: JSONValue.self),
                folders: try ImageNodes.folders(context.resources, node: Self.schema.name)))
    }
}

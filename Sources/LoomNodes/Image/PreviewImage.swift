import LoomGraph
import LoomImaging

/// Saves images to the temp folder for the UI to show.
public struct PreviewImage: Node {
    public static let schema = NodeSchema(
        name: "PreviewImage", displayName: "Preview Image", category: "image",
        description: "Saves the input images to your ComfyUI output directory.",
        inputs: [.link("images", "IMAGE"), .hidden("prompt", .prompt), .hidden("extra_pnginfo", .extraPNGInfo)],
        isOutputNode: true)

    /// Each node instance previews under its own random name, as in ComfyUI (whose alphabet this is).
    let prefixSuffix = "_temp_" + String((0..<5).map { _ in "abcdefghijklmnopqrstupvxyz".randomElement()! })

    public init() {}

    // Not concurrent: file numbering reads the folder, so two saves at once could pick the same number.

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let saver = ImageSaver(node: Self.schema.name, folder: .temp, prefixSuffix: prefixSuffix, compressionLevel: 1)
        return .ui(
            try saver.save(
                try inputs("images", as: Image.self), prefix: "ComfyUI",
                prompt: try inputs.optional("prompt", as: JSONValue.self),
                extraPNGInfo: try inputs.optional("extra_pnginfo", as: JSONValue.self),
                folders: try ImageNodes.folders(context.resources, node: Self.schema.name)))
    }
}

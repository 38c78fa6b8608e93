import LoomGraph
import LoomImaging

/// Cuts a rectangle out of images; it is clipped to the image, and x, y at most the last pixel.
public struct ImageCrop: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageCrop", displayName: "Image Crop", category: "image/transform",
        inputs: [
            .link("image", "IMAGE"),
            .int("width", default: 512, min: 1, max: ImageNodes.maxResolution),
            .int("height", default: 512, min: 1, max: ImageNodes.maxResolution),
            .int("x", default: 0, min: 0, max: ImageNodes.maxResolution),
            .int("y", default: 0, min: 0, max: ImageNodes.maxResolution),
        ],
        outputs: [OutputSpec("IMAGE")], pythonModule: "comfy_extras.nodes_images")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        let x = min(try inputs("x", as: Int.self), image.width - 1)
        let y = min(try inputs("y", as: Int.self), image.height - 1)
        return NodeResult([
            image.cropped(x: x, y: y, width: try inputs("width", as: Int.self), height: try inputs("height", as: Int.self))
        ])
    }
}

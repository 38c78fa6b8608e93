import LoomGraph
import LoomImaging

/// ComfyUI_essentials' "ImageCrop+": a rectangle placed by a named position plus offsets, clipped to the
/// image; also returns where it starts.
public struct ImageCropPlus: CPUNode {
    static let positions = [
        "top-left", "top-center", "top-right", "right-center", "bottom-right", "bottom-center", "bottom-left",
        "left-center", "center",
    ]

    public static let schema = NodeSchema(
        name: "ImageCrop+", displayName: "🔧 Image Crop", category: "essentials/image manipulation",
        inputs: [
            .link("image", "IMAGE"),
            .int("width", default: 256, min: 0, max: ImageNodes.maxResolution, step: 8),
            .int("height", default: 256, min: 0, max: ImageNodes.maxResolution, step: 8),
            .combo("position", positions),
            .int("x_offset", default: 0, min: -99999),
            .int("y_offset", default: 0, min: -99999),
        ],
        outputs: [OutputSpec("IMAGE"), OutputSpec("INT", name: "x"), OutputSpec("INT", name: "y")],
        pythonModule: Essentials.pythonModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        let position = try inputs("position", as: String.self)
        guard Self.positions.contains(position) else {
            throw NodeError(Self.schema.name, "position: unknown position '\(position)'")
        }
        let width = min(image.width, try inputs("width", as: Int.self))
        let height = min(image.height, try inputs("height", as: Int.self))
        var x = 0, y = 0
        if position.contains("center") {
            x = ImageNodes.pythonRound(Double(image.width - width) / 2)
            y = ImageNodes.pythonRound(Double(image.height - height) / 2)
        }
        if position.contains("top") { y = 0 }
        if position.contains("bottom") { y = image.height - height }
        if position.contains("left") { x = 0 }
        if position.contains("right") { x = image.width - width }
        x += try inputs("x_offset", as: Int.self)
        y += try inputs("y_offset", as: Int.self)
        // The far edges come from the unclipped origin, so a negative offset narrows the crop.
        let x2 = min(x + width, image.width), y2 = min(y + height, image.height)
        x = max(x, 0)
        y = max(y, 0)
        let cropped = image.cropped(x: x, y: y, width: max(x2 - x, 0), height: max(y2 - y, 0))
        return NodeResult([cropped, x, y])
    }
}

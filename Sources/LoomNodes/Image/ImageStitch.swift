import LoomGraph
import LoomImaging

/// Joins image2 to image1 on one side, optionally matching sizes and leaving a coloured gap.
public struct ImageStitch: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageStitch", displayName: "Image Stitch", category: "image/transform",
        description: """
            Stitches image2 to image1 in the specified direction.
            If image2 is not provided, returns image1 unchanged.
            Optional spacing can be added between images.
            """,
        inputs: [
            .link("image1", "IMAGE"),
            .combo("direction", StitchDirection.allCases.map(\.rawValue), default: "right"),
            .boolean("match_image_size", default: true),
            .int("spacing_width", default: 0, min: 0, max: 1024, step: 2),
            .combo("spacing_color", StitchSpacingColor.allCases.map(\.rawValue), default: "white"),
            .link("image2", "IMAGE", section: .optional),
        ],
        outputs: [OutputSpec("IMAGE")], pythonModule: "comfy_extras.nodes_images")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let first = try inputs("image1", as: Image.self)
        guard let second = try inputs.optional("image2", as: Image.self) else { return NodeResult([first]) }
        let directionName = try inputs("direction", as: String.self)
        let colorName = try inputs("spacing_color", as: String.self)
        guard let direction = StitchDirection(rawValue: directionName) else {
            throw NodeError(Self.schema.name, "direction: unknown direction '\(directionName)'")
        }
        guard let color = StitchSpacingColor(rawValue: colorName) else {
            throw NodeError(Self.schema.name, "spacing_color: unknown colour '\(colorName)'")
        }
        let matchingSize = try inputs("match_image_size", as: Bool.self)
        let spacing = try inputs("spacing_width", as: Int.self)
        try ImageNodes.checkJoinedSize(
            ImageNodes.shape(of: first)!, ImageNodes.shape(of: second)!, horizontal: direction == .left || direction == .right, matchingSize: matchingSize,
            spacing: spacing, budget: context.budget, node: Self.schema.name)
        return NodeResult([
            first.stitched(
                with: second, direction: direction, matchingSize: matchingSize, spacing: spacing, spacingColor: color)
        ])
    }
}

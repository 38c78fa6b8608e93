import LoomGraph
import LoomImaging

/// Grows the canvas with grey margins and returns the mask of what to paint there.
public struct ImagePadForOutpaint: CPUNode {
    public static let schema = NodeSchema(
        name: "ImagePadForOutpaint", displayName: "Pad Image for Outpainting", category: "image",
        inputs: [
            .link("image", "IMAGE"),
            .int("left", default: 0, min: 0, max: ImageNodes.maxResolution, step: 8),
            .int("top", default: 0, min: 0, max: ImageNodes.maxResolution, step: 8),
            .int("right", default: 0, min: 0, max: ImageNodes.maxResolution, step: 8),
            .int("bottom", default: 0, min: 0, max: ImageNodes.maxResolution, step: 8),
            .int("feathering", default: 40, min: 0, max: ImageNodes.maxResolution),
        ],
        outputs: [OutputSpec("IMAGE"), OutputSpec("MASK")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        let left = try inputs("left", as: Int.self), top = try inputs("top", as: Int.self)
        let right = try inputs("right", as: Int.self), bottom = try inputs("bottom", as: Int.self)
        guard [left, top, right, bottom].allSatisfy({ (0...ImageNodes.maxResolution).contains($0) }) else {
            throw NodeError(Self.schema.name, "left, top, right, bottom: each must be within 0...\(ImageNodes.maxResolution)")
        }
        try context.budget.checkImage(
            width: image.width + left + right, height: image.height + top + bottom, batch: image.batchCount,
            channels: image.channels + 1, node: Self.schema.name, inputs: "left, top, right, bottom")
        let (padded, mask) = image.paddedForOutpaint(
            left: left, top: top, right: right, bottom: bottom, feathering: try inputs("feathering", as: Int.self))
        return NodeResult([padded, mask])
    }
}

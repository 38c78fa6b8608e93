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
        let (image, mask) = try inputs("image", as: Image.self).paddedForOutpaint(
            left: try inputs("left", as: Int.self), top: try inputs("top", as: Int.self),
            right: try inputs("right", as: Int.self), bottom: try inputs("bottom", as: Int.self),
            feathering: try inputs("feathering", as: Int.self))
        return NodeResult([image, mask])
    }
}

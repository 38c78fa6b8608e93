import LoomGraph
import LoomImaging

/// Pastes `source` onto `destination` at (x, y), blended by an optional mask.
public struct ImageCompositeMasked: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageCompositeMasked", category: "image",
        inputs: [
            .link("destination", "IMAGE"),
            .link("source", "IMAGE"),
            .int("x", default: 0, min: 0, max: ImageNodes.maxResolution),
            .int("y", default: 0, min: 0, max: ImageNodes.maxResolution),
            .boolean("resize_source", default: false),
            .link("mask", "MASK", section: .optional),
        ],
        outputs: [OutputSpec("IMAGE")], pythonModule: "comfy_extras.nodes_mask")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let destination = try inputs("destination", as: Image.self)
        return NodeResult([
            destination.compositing(
                source: try inputs("source", as: Image.self), x: try inputs("x", as: Int.self),
                y: try inputs("y", as: Int.self), mask: try inputs.optional("mask", as: Mask.self),
                resizeSource: try inputs("resize_source", as: Bool.self))
        ])
    }
}

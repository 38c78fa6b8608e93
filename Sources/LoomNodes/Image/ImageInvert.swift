import LoomGraph
import LoomImaging

/// 1 − every sample, alpha included, as in ComfyUI.
public struct ImageInvert: Node {
    public static let schema = NodeSchema(
        name: "ImageInvert", displayName: "Invert Image", category: "image",
        inputs: [.link("image", "IMAGE")], outputs: [OutputSpec("IMAGE")])

    public init() {}

    /// CPU work on values; it may run beside other nodes.
    public static var runsConcurrently: Bool { true }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("image", as: Image.self).mapSamples { 1 - $0 }])
    }
}

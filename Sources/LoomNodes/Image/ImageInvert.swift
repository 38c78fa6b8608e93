import LoomGraph
import LoomImaging

/// 1 − every sample, alpha included, as in ComfyUI.
public struct ImageInvert: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageInvert", displayName: "Invert Image", category: "image",
        inputs: [.link("image", "IMAGE")], outputs: [OutputSpec("IMAGE")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("image", as: Image.self).mapSamples { 1 - $0 }])
    }
}

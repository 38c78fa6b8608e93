import LoomGraph
import LoomImaging

/// ComfyUI's Canny preprocessor: white edges on black, three channels.
public struct Canny: CPUNode {
    public static let schema = NodeSchema(
        name: "Canny", displayName: "Canny", category: "image/preprocessors",
        inputs: [
            .link("image", "IMAGE"),
            .float("low_threshold", default: 0.4, min: 0.01, max: 0.99, step: 0.01),
            .float("high_threshold", default: 0.8, min: 0.01, max: 0.99, step: 0.01),
        ],
        outputs: [OutputSpec("IMAGE")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let low = try inputs("low_threshold", as: Double.self), high = try inputs("high_threshold", as: Double.self)
        guard low <= high else {
            throw NodeError(Self.schema.name, "low_threshold (\(low)) must not exceed high_threshold (\(high))")
        }
        let detector = CannyEdgeDetector(lowThreshold: Float(low), highThreshold: Float(high))
        return NodeResult([detector.edges(of: try inputs("image", as: Image.self)).image(channels: 3)])
    }
}

import LoomGraph
import LoomImaging

/// Joins two batches; the second is resized (bilinear, centre crop) to the first's size if they differ.
public struct ImageBatch: Node {
    public static let schema = NodeSchema(
        name: "ImageBatch", displayName: "Batch Images", category: "image",
        inputs: [.link("image1", "IMAGE"), .link("image2", "IMAGE")], outputs: [OutputSpec("IMAGE")])

    public init() {}

    /// CPU work on values; it may run beside other nodes.
    public static var runsConcurrently: Bool { true }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("image1", as: Image.self).batched(with: try inputs("image2", as: Image.self))])
    }
}

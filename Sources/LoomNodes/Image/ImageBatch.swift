import LoomGraph
import LoomImaging

/// Joins two batches; the second is resized (bilinear, centre crop) to the first's size if they differ.
public struct ImageBatch: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageBatch", displayName: "Batch Images", category: "image",
        inputs: [.link("image1", "IMAGE"), .link("image2", "IMAGE")], outputs: [OutputSpec("IMAGE")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("image1", as: Image.self).batched(with: try inputs("image2", as: Image.self))])
    }
}

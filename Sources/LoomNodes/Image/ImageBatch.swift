import LoomGraph
import LoomImaging

/// Joins two batches; the second is resized (bilinear, centre crop) to the first's size if they differ.
public struct ImageBatch: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageBatch", displayName: "Batch Images", category: "image",
        inputs: [.link("image1", "IMAGE"), .link("image2", "IMAGE")], outputs: [OutputSpec("IMAGE")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let first = try inputs("image1", as: Image.self), second = try inputs("image2", as: Image.self)
        try context.budget.checkImage(
            width: first.width, height: first.height, batch: first.batchCount + second.batchCount,
            channels: max(first.channels, second.channels), node: Self.schema.name, inputs: "image1, image2")
        return NodeResult([first.batched(with: second)])
    }
}

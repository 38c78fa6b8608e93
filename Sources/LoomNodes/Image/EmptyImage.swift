import LoomGraph
import LoomImaging

/// A batch of images of one colour, given as 0xRRGGBB.
public struct EmptyImage: CPUNode {
    public static let schema = NodeSchema(
        name: "EmptyImage", category: "image",
        inputs: [
            .int("width", default: 512, min: 1, max: ImageNodes.maxResolution),
            .int("height", default: 512, min: 1, max: ImageNodes.maxResolution),
            .int("batch_size", default: 1, min: 1, max: 4096),
            .int("color", default: 0, min: 0, max: 0xFFFFFF),
        ],
        outputs: [OutputSpec("IMAGE")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let color = try inputs("color", as: Int.self)
        let rgb = [16, 8, 0].map { Float((color >> $0) & 0xFF) / 255 }
        let batch = try inputs("batch_size", as: Int.self)
        let width = try inputs("width", as: Int.self), height = try inputs("height", as: Int.self)
        try context.budget.checkImage(
            width: width, height: height, batch: batch, node: Self.schema.name, inputs: "width, height, batch_size")
        let pixels = (0..<(batch * width * height)).flatMap { _ in rgb }
        return NodeResult([Image(batchCount: batch, height: height, width: width, channels: 3, pixels: pixels)])
    }
}

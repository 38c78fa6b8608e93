import LoomGraph
import LoomImaging

/// WAS Node Suite's "Image Blank": one image of a single 8-bit colour, its sides cut down to multiples of 8.
public struct ImageBlank: CPUNode {
    public static let schema = NodeSchema(
        name: "Image Blank", category: "WAS Suite/Image",
        inputs: [
            .int("width", default: 512, min: 8, max: 4096),
            .int("height", default: 512, min: 8, max: 4096),
            .int("red", default: 255, min: 0, max: 255),
            .int("green", default: 255, min: 0, max: 255),
            .int("blue", default: 255, min: 0, max: 255),
        ],
        outputs: [OutputSpec("IMAGE")], pythonModule: "custom_nodes.was-node-suite-comfyui")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let width = try inputs("width", as: Int.self) / 8 * 8, height = try inputs("height", as: Int.self) / 8 * 8
        try context.budget.checkImage(width: width, height: height, node: Self.schema.name, inputs: "width, height")
        let rgb = try ["red", "green", "blue"].map { Float(try inputs($0, as: Int.self)) / 255 }
        let pixels = (0..<(width * height)).flatMap { _ in rgb }
        return NodeResult([Image(batchCount: 1, height: height, width: width, channels: 3, pixels: pixels)])
    }
}

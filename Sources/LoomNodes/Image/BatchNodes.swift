import LoomGraph
import LoomImaging

/// The batch helpers of ComfyUI's `comfy_extras.nodes_images`.
private let imagesModule = "comfy_extras.nodes_images"

public struct RepeatImageBatch: CPUNode {
    public static let schema = NodeSchema(
        name: "RepeatImageBatch", category: "image/batch",
        inputs: [.link("image", "IMAGE"), .int("amount", default: 1, min: 1, max: 4096)],
        outputs: [OutputSpec("IMAGE")], pythonModule: imagesModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        let amount = try inputs("amount", as: Int.self)
        try context.budget.checkImage(
            width: image.width, height: image.height, batch: image.batchCount * max(amount, 0), channels: image.channels,
            node: Self.schema.name, inputs: "amount")
        return NodeResult([Image.concatenating(Array(repeating: image, count: amount))])
    }
}

public struct ImageFromBatch: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageFromBatch", category: "image/batch",
        inputs: [
            .link("image", "IMAGE"),
            .int("batch_index", default: 0, min: 0, max: 4095),
            .int("length", default: 1, min: 1, max: 4096),
        ],
        outputs: [OutputSpec("IMAGE")], pythonModule: imagesModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        // An index past the end picks the last image, as in ComfyUI.
        let start = min(image.batchCount - 1, try inputs("batch_index", as: Int.self))
        return NodeResult([image.frames(start..<start + (try inputs("length", as: Int.self)))])
    }
}

public struct GetImageSize: CPUNode {
    public static let schema = NodeSchema(
        name: "GetImageSize", category: "image",
        description: "Returns width and height of the image, and passes it through unchanged.",
        inputs: [.link("image", "IMAGE"), .hidden("unique_id", .uniqueID)],
        outputs: [OutputSpec("INT", name: "width"), OutputSpec("INT", name: "height"), OutputSpec("INT", name: "batch_size")],
        pythonModule: imagesModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        // ComfyUI shows the size on the node's face.
        context.reportText("width: \(image.width), height: \(image.height)\n batch size: \(image.batchCount)")
        return NodeResult([image.width, image.height, image.batchCount])
    }
}

public struct ImageRotate: CPUNode {
    static let rotations = ["none", "90 degrees", "180 degrees", "270 degrees"]

    public static let schema = NodeSchema(
        name: "ImageRotate", category: "image/transform",
        inputs: [.link("image", "IMAGE"), .combo("rotation", rotations)],
        outputs: [OutputSpec("IMAGE")], pythonModule: imagesModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let rotation = try inputs("rotation", as: String.self)
        guard let turns = Self.rotations.firstIndex(of: rotation) else {
            throw NodeError(Self.schema.name, "rotation: unknown rotation '\(rotation)'")
        }
        return NodeResult([try inputs("image", as: Image.self).rotatedClockwise(quarterTurns: turns)])
    }
}

public struct ImageFlip: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageFlip", category: "image/transform",
        inputs: [.link("image", "IMAGE"), .combo("flip_method", ["x-axis: vertically", "y-axis: horizontally"])],
        outputs: [OutputSpec("IMAGE")], pythonModule: imagesModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let method = try inputs("flip_method", as: String.self)
        return NodeResult([try inputs("image", as: Image.self).flipped(vertically: method.hasPrefix("x"))])
    }
}

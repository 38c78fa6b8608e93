import LoomGraph
import LoomImaging

/// The mask nodes of ComfyUI's `comfy_extras.nodes_mask`.
private let maskModule = "comfy_extras.nodes_mask"

public struct MaskToImage: CPUNode {
    public static let schema = NodeSchema(
        name: "MaskToImage", displayName: "Convert Mask to Image", category: "mask",
        inputs: [.link("mask", "MASK")], outputs: [OutputSpec("IMAGE")], pythonModule: maskModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("mask", as: Mask.self).image(channels: 3)])
    }
}

public struct ImageToMask: CPUNode {
    static let channels = ["red", "green", "blue", "alpha"]

    public static let schema = NodeSchema(
        name: "ImageToMask", displayName: "Convert Image to Mask", category: "mask",
        inputs: [.link("image", "IMAGE"), .combo("channel", channels)], outputs: [OutputSpec("MASK")],
        pythonModule: maskModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        let name = try inputs("channel", as: String.self)
        guard let channel = Self.channels.firstIndex(of: name), channel < image.channels else {
            throw NodeError(Self.schema.name, "channel: the image has \(image.channels) channels, no '\(name)'")
        }
        return NodeResult([Mask(channel: channel, of: image)])
    }
}

public struct SolidMask: CPUNode {
    public static let schema = NodeSchema(
        name: "SolidMask", category: "mask",
        inputs: [
            .float("value", default: 1.0, min: 0.0, max: 1.0, step: 0.01),
            .int("width", default: 512, min: 1, max: ImageNodes.maxResolution),
            .int("height", default: 512, min: 1, max: ImageNodes.maxResolution),
        ],
        outputs: [OutputSpec("MASK")], pythonModule: maskModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let width = try inputs("width", as: Int.self), height = try inputs("height", as: Int.self)
        try context.budget.checkImage(
            width: width, height: height, channels: 1, node: Self.schema.name, inputs: "width, height")
        return NodeResult([Mask(height: height, width: width, repeating: Float(try inputs("value", as: Double.self)))])
    }
}

public struct InvertMask: CPUNode {
    public static let schema = NodeSchema(
        name: "InvertMask", category: "mask", inputs: [.link("mask", "MASK")], outputs: [OutputSpec("MASK")],
        pythonModule: maskModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("mask", as: Mask.self).mapValues { 1 - $0 }])
    }
}

public struct ThresholdMask: CPUNode {
    public static let schema = NodeSchema(
        name: "ThresholdMask", category: "mask",
        inputs: [.link("mask", "MASK"), .float("value", default: 0.5, min: 0.0, max: 1.0, step: 0.01)],
        outputs: [OutputSpec("MASK")], pythonModule: maskModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let threshold = Float(try inputs("value", as: Double.self))
        return NodeResult([try inputs("mask", as: Mask.self).mapValues { $0 > threshold ? 1 : 0 }])
    }
}

public struct GrowMask: CPUNode {
    public static let schema = NodeSchema(
        name: "GrowMask", category: "mask",
        inputs: [
            .link("mask", "MASK"),
            .int("expand", default: 0, min: -ImageNodes.maxResolution, max: ImageNodes.maxResolution),
            .boolean("tapered_corners", default: true),
        ],
        outputs: [OutputSpec("MASK")], pythonModule: maskModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([
            try inputs("mask", as: Mask.self).grown(
                by: try inputs("expand", as: Int.self), taperedCorners: try inputs("tapered_corners", as: Bool.self))
        ])
    }
}

public struct CropMask: CPUNode {
    public static let schema = NodeSchema(
        name: "CropMask", category: "mask",
        inputs: [
            .link("mask", "MASK"),
            .int("x", default: 0, min: 0, max: ImageNodes.maxResolution),
            .int("y", default: 0, min: 0, max: ImageNodes.maxResolution),
            .int("width", default: 512, min: 1, max: ImageNodes.maxResolution),
            .int("height", default: 512, min: 1, max: ImageNodes.maxResolution),
        ],
        outputs: [OutputSpec("MASK")], pythonModule: maskModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([
            try inputs("mask", as: Mask.self).cropped(
                x: try inputs("x", as: Int.self), y: try inputs("y", as: Int.self),
                width: try inputs("width", as: Int.self), height: try inputs("height", as: Int.self))
        ])
    }
}

public struct MaskComposite: CPUNode {
    public static let schema = NodeSchema(
        name: "MaskComposite", category: "mask",
        inputs: [
            .link("destination", "MASK"),
            .link("source", "MASK"),
            .int("x", default: 0, min: 0, max: ImageNodes.maxResolution),
            .int("y", default: 0, min: 0, max: ImageNodes.maxResolution),
            .combo("operation", MaskOperation.allCases.map(\.rawValue)),
        ],
        outputs: [OutputSpec("MASK")], pythonModule: maskModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let name = try inputs("operation", as: String.self)
        guard let operation = MaskOperation(rawValue: name) else {
            throw NodeError(Self.schema.name, "operation: unknown operation '\(name)'")
        }
        return NodeResult([
            try inputs("destination", as: Mask.self).compositing(
                source: try inputs("source", as: Mask.self), x: try inputs("x", as: Int.self),
                y: try inputs("y", as: Int.self), operation: operation)
        ])
    }
}

public struct FeatherMask: CPUNode {
    public static let schema = NodeSchema(
        name: "FeatherMask", category: "mask",
        inputs: [
            .link("mask", "MASK"),
            .int("left", default: 0, min: 0, max: ImageNodes.maxResolution),
            .int("top", default: 0, min: 0, max: ImageNodes.maxResolution),
            .int("right", default: 0, min: 0, max: ImageNodes.maxResolution),
            .int("bottom", default: 0, min: 0, max: ImageNodes.maxResolution),
        ],
        outputs: [OutputSpec("MASK")], pythonModule: maskModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([
            try inputs("mask", as: Mask.self).feathered(
                left: try inputs("left", as: Int.self), top: try inputs("top", as: Int.self),
                right: try inputs("right", as: Int.self), bottom: try inputs("bottom", as: Int.self))
        ])
    }
}

public struct ImageColorToMask: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageColorToMask", category: "mask",
        inputs: [.link("image", "IMAGE"), .int("color", default: 0, min: 0, max: 0xFFFFFF)],
        outputs: [OutputSpec("MASK")], pythonModule: maskModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        guard image.channels >= 3 else {
            throw NodeError(Self.schema.name, "image: needs RGB channels, the image has \(image.channels)")
        }
        return NodeResult([image.mask(matchingColor: try inputs("color", as: Int.self))])
    }
}

import LoomGraph
import LoomImaging

/// Resizes images to a width and height; 0 for either keeps the aspect ratio.
public struct ImageScale: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageScale", displayName: "Upscale Image", category: "image/upscaling",
        inputs: [
            .link("image", "IMAGE"),
            .combo("upscale_method", ImageNodes.upscaleMethods),
            .int("width", default: 512, min: 0, max: ImageNodes.maxResolution),
            .int("height", default: 512, min: 0, max: ImageNodes.maxResolution),
            .combo("crop", ["disabled", "center"]),
        ],
        outputs: [OutputSpec("IMAGE")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        let method = try ImageNodes.method(inputs, node: Self.schema.name)
        var width = try inputs("width", as: Int.self), height = try inputs("height", as: Int.self)
        if width == 0 && height == 0 { return NodeResult([image]) }
        try ImageNodes.requireNonEmpty(image, node: Self.schema.name)
        if width == 0 {
            width = max(1, ImageNodes.pythonRound(Double(image.width) * Double(height) / Double(image.height)))
        } else if height == 0 {
            height = max(1, ImageNodes.pythonRound(Double(image.height) * Double(width) / Double(image.width)))
        }
        try context.budget.checkImage(
            width: width, height: height, batch: image.batchCount, channels: image.channels, node: Self.schema.name,
            inputs: "width, height")
        let centerCrop = try inputs("crop", as: String.self) == "center"
        return NodeResult([image.scaled(width: width, height: height, method: method, centerCrop: centerCrop)])
    }
}

/// Resizes images by a factor.
public struct ImageScaleBy: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageScaleBy", displayName: "Upscale Image By", category: "image/upscaling",
        inputs: [
            .link("image", "IMAGE"),
            .combo("upscale_method", ImageNodes.upscaleMethods),
            .float("scale_by", default: 1.0, min: 0.01, max: 8.0, step: 0.01),
        ],
        outputs: [OutputSpec("IMAGE")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        let method = try ImageNodes.method(inputs, node: Self.schema.name)
        let factor = try inputs("scale_by", as: Double.self)
        try ImageNodes.requireNonEmpty(image, node: Self.schema.name)
        // ComfyUI fails on a size that rounds to 0; one pixel is the closest valid answer.
        let width = max(1, ImageNodes.pythonRound(Double(image.width) * factor))
        let height = max(1, ImageNodes.pythonRound(Double(image.height) * factor))
        try context.budget.checkImage(
            width: width, height: height, batch: image.batchCount, channels: image.channels, node: Self.schema.name,
            inputs: "scale_by")
        return NodeResult([image.resized(width: width, height: height, method: method)])
    }
}

extension ImageNodes {
    static func method(_ inputs: NodeInputs, node: String) throws -> ResamplingMethod {
        let name = try inputs("upscale_method", as: String.self)
        guard let method = ResamplingMethod(rawValue: name) else {
            throw NodeError(node, "upscale_method: unknown method '\(name)'")
        }
        return method
    }
}

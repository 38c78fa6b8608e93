import Foundation
import LoomGraph
import LoomImaging

/// Resizes images to about `megapixels` × 2²⁰ pixels, keeping the aspect ratio.
public struct ImageScaleToTotalPixels: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageScaleToTotalPixels", displayName: "Scale Image to Total Pixels", category: "image/upscaling",
        inputs: [
            .link("image", "IMAGE"),
            .combo("upscale_method", ImageNodes.upscaleMethods),
            .float("megapixels", default: 1.0, min: 0.01, max: 16.0, step: 0.01),
        ],
        outputs: [OutputSpec("IMAGE")], pythonModule: "comfy_extras.nodes_post_processing")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        let method = try ImageNodes.method(inputs, node: Self.schema.name)
        try ImageNodes.requireNonEmpty(image, node: Self.schema.name)
        let total = ImageNodes.pythonRound((try inputs("megapixels", as: Double.self) * 1024 * 1024).rounded(.towardZero))
        let factor = (Double(total) / Double(image.width * image.height)).squareRoot()
        let width = max(1, ImageNodes.pythonRound(Double(image.width) * factor))
        let height = max(1, ImageNodes.pythonRound(Double(image.height) * factor))
        try context.budget.checkImage(
            width: width, height: height, batch: image.batchCount, channels: image.channels, node: Self.schema.name,
            inputs: "megapixels")
        return NodeResult([image.resized(width: width, height: height, method: method)])
    }
}

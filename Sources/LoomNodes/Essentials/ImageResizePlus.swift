import LoomGraph
import LoomImaging

/// ComfyUI_essentials' "ImageResize+": resize by stretching, keeping proportion, filling and cropping,
/// or padding with black, optionally only when a size condition holds, then trim to a multiple.
public struct ImageResizePlus: CPUNode {
    static let interpolations = ["nearest", "bilinear", "bicubic", "area", "nearest-exact", "lanczos"]
    static let methods = ["stretch", "keep proportion", "fill / crop", "pad"]
    static let conditions = ["always", "downscale if bigger", "upscale if smaller", "if bigger area", "if smaller area"]

    public static let schema = NodeSchema(
        name: "ImageResize+", displayName: "🔧 Image Resize", category: "essentials/image manipulation",
        inputs: [
            .link("image", "IMAGE"),
            .int("width", default: 512, min: 0, max: ImageNodes.maxResolution),
            .int("height", default: 512, min: 0, max: ImageNodes.maxResolution),
            .combo("interpolation", interpolations),
            .combo("method", methods),
            .combo("condition", conditions),
            .int("multiple_of", default: 0, min: 0, max: 512),
        ],
        outputs: [OutputSpec("IMAGE"), OutputSpec("INT", name: "width"), OutputSpec("INT", name: "height")],
        pythonModule: Essentials.pythonModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        try ImageNodes.requireNonEmpty(image, node: Self.schema.name)
        let interpolation = try inputs("interpolation", as: String.self)
        guard let filter = ResamplingMethod(rawValue: interpolation) else {
            throw NodeError(Self.schema.name, "interpolation: unknown method '\(interpolation)'")
        }
        let width = try inputs("width", as: Int.self), height = try inputs("height", as: Int.self)
        guard (0...ImageNodes.maxResolution).contains(width), (0...ImageNodes.maxResolution).contains(height) else {
            throw NodeError(Self.schema.name, "width, height: \(width)×\(height) is outside 0...\(ImageNodes.maxResolution)")
        }
        let resized = try Self.resize(
            image, width: width, height: height, filter: filter,
            method: try inputs("method", as: String.self), condition: try inputs("condition", as: String.self),
            multipleOf: try inputs("multiple_of", as: Int.self), budget: context.budget)
        return NodeResult([resized, resized.width, resized.height])
    }

    static func resize(
        _ image: Image, width requestedWidth: Int, height requestedHeight: Int, filter: ResamplingMethod,
        method: String, condition: String, multipleOf: Int, budget: AllocationBudget = AllocationBudget(limits: .standard)
    ) throws(NodeError) -> Image {
        let (oldWidth, oldHeight) = (image.width, image.height)
        var width = requestedWidth, height = requestedHeight
        if multipleOf > 1 {
            width -= width % multipleOf
            height -= height % multipleOf
        }
        var padding = (left: 0, right: 0, top: 0, bottom: 0)
        var crop = (x: 0, y: 0, x2: 0, y2: 0)
        switch method {
        case "keep proportion", "pad":
            // A zero side is unbounded, compared as the node does (the old height against the width).
            if width == 0 { width = oldHeight < height ? ImageNodes.maxResolution : oldWidth }
            if height == 0 { height = oldWidth < width ? ImageNodes.maxResolution : oldHeight }
            let ratio = min(Double(width) / Double(oldWidth), Double(height) / Double(oldHeight))
            let newWidth = ImageNodes.pythonRound(Double(oldWidth) * ratio)
            let newHeight = ImageNodes.pythonRound(Double(oldHeight) * ratio)
            if method == "pad" {
                padding.left = Essentials.floorDivide(width - newWidth, 2)
                padding.right = width - newWidth - padding.left
                padding.top = Essentials.floorDivide(height - newHeight, 2)
                padding.bottom = height - newHeight - padding.top
            }
            (width, height) = (newWidth, newHeight)
        case "fill / crop":
            width = width > 0 ? width : oldWidth
            height = height > 0 ? height : oldHeight
            let ratio = max(Double(width) / Double(oldWidth), Double(height) / Double(oldHeight))
            let newWidth = ImageNodes.pythonRound(Double(oldWidth) * ratio)
            let newHeight = ImageNodes.pythonRound(Double(oldHeight) * ratio)
            crop.x = Essentials.floorDivide(newWidth - width, 2)
            crop.y = Essentials.floorDivide(newHeight - height, 2)
            crop.x2 = crop.x + width
            crop.y2 = crop.y + height
            if crop.x2 > newWidth { crop.x -= crop.x2 - newWidth }
            if crop.y2 > newHeight { crop.y -= crop.y2 - newHeight }
            crop.x = max(crop.x, 0)
            crop.y = max(crop.y, 0)
            (width, height) = (newWidth, newHeight)
        default:
            width = width > 0 ? width : oldWidth
            height = height > 0 ? height : oldHeight
        }

        let applies: Bool =
            switch condition {
            case "downscale if bigger": oldHeight > height || oldWidth > width
            case "upscale if smaller": oldHeight < height || oldWidth < width
            case "if bigger area": oldHeight * oldWidth > height * width
            case "if smaller area": oldHeight * oldWidth < height * width
            default: true
            }
        var output = image
        if applies {
            try budget.checkImage(
                width: max(width, 1), height: max(height, 1), batch: image.batchCount, channels: image.channels,
                node: schema.name, inputs: "width, height, method")
            output = image.resized(width: max(width, 1), height: max(height, 1), method: filter)
            if method == "pad", padding != (0, 0, 0, 0) {
                output = output.padded(
                    left: padding.left, right: padding.right, top: padding.top, bottom: padding.bottom, value: 0)
            }
            if method == "fill / crop", crop != (0, 0, 0, 0) {
                output = output.cropped(x: crop.x, y: crop.y, width: crop.x2 - crop.x, height: crop.y2 - crop.y)
            }
        }
        if multipleOf > 1 && (output.width % multipleOf != 0 || output.height % multipleOf != 0) {
            let x = (output.width % multipleOf) / 2, y = (output.height % multipleOf) / 2
            let x2 = output.width - (output.width % multipleOf - x)
            let y2 = output.height - (output.height % multipleOf - y)
            output = output.cropped(x: x, y: y, width: x2 - x, height: y2 - y)
        }
        return output.mapSamples { min(max($0, 0), 1) }
    }
}

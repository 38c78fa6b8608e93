import LoomGraph
import LoomImaging

/// KJNodes' "ImageResizeKJ" (deprecated there, kept for older workflows): resize to a width and height,
/// or to `get_image_size`'s size; `keep_proportion` fits inside the box (a 0 side follows the other),
/// `divisible_by` trims the size down to a multiple, and `crop` "center" (or 0, which old workflows
/// store) cuts to the target's aspect ratio first.
public struct ImageResizeKJ: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageResizeKJ", displayName: "Resize Image (deprecated)", category: "KJNodes/image",
        inputs: [
            .link("image", "IMAGE"),
            .int("width", default: 512, min: 0, max: ImageNodes.maxResolution),
            .int("height", default: 512, min: 0, max: ImageNodes.maxResolution),
            .combo("upscale_method", ImageNodes.upscaleMethods),
            .boolean("keep_proportion", default: false),
            .int("divisible_by", default: 2, min: 0, max: 512),
            .link("get_image_size", "IMAGE", section: .optional),
            .combo(
                "crop", ["disabled", "center", "0"], section: .optional,
                tooltip: "0 will do the default center crop, this is a workaround for the widget order changing with the new frontend, as in old workflows the value of this widget becomes 0 automatically"),
        ],
        outputs: [OutputSpec("IMAGE"), OutputSpec("INT", name: "width"), OutputSpec("INT", name: "height")],
        pythonModule: "custom_nodes.ComfyUI-KJNodes")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        try ImageNodes.requireNonEmpty(image, node: Self.schema.name)
        let method = try ImageNodes.method(inputs, node: Self.schema.name)
        let reference = try inputs.optional("get_image_size", as: Image.self)
        let crop = try inputs.optional("crop", as: NodeValue.self)
        let centerCrop = (crop as? String).map { $0 == "center" || $0 == "0" } ?? (crop as? Int == 0)
        let (width, height) = try Self.targetSize(
            of: image, width: try inputs("width", as: Int.self), height: try inputs("height", as: Int.self),
            keepProportion: try inputs("keep_proportion", as: Bool.self),
            divisibleBy: try inputs("divisible_by", as: Int.self), reference: reference)
        try context.budget.checkImage(
            width: width, height: height, batch: image.batchCount, channels: image.channels, node: Self.schema.name,
            inputs: "width, height")
        let resized = image.scaled(width: width, height: height, method: method, centerCrop: centerCrop)
        return NodeResult([resized, resized.width, resized.height])
    }

    /// The node's size arithmetic; a reference image's size is taken as it is, without rounding to a multiple.
    static func targetSize(
        of image: Image, width requestedWidth: Int, height requestedHeight: Int, keepProportion: Bool,
        divisibleBy: Int, reference: Image?
    ) throws(NodeError) -> (width: Int, height: Int) {
        var width = requestedWidth, height = requestedHeight
        if let reference { (width, height) = (reference.width, reference.height) }
        if keepProportion && reference == nil {
            let (oldWidth, oldHeight) = (Double(image.width), Double(image.height))
            if width == 0 && height != 0 {
                width = ImageNodes.pythonRound(oldWidth * (Double(height) / oldHeight))
            } else if height == 0 && width != 0 {
                height = ImageNodes.pythonRound(oldHeight * (Double(width) / oldWidth))
            } else if width != 0 && height != 0 {
                let ratio = min(Double(width) / oldWidth, Double(height) / oldHeight)
                width = ImageNodes.pythonRound(oldWidth * ratio)
                height = ImageNodes.pythonRound(oldHeight * ratio)
            }
        } else {
            if width == 0 { width = image.width }
            if height == 0 { height = image.height }
        }
        if divisibleBy > 1 && reference == nil {
            width -= width % divisibleBy
            height -= height % divisibleBy
        }
        guard width > 0 && height > 0 else {
            throw NodeError(schema.name, "width, height: the target size \(width)×\(height) is empty")
        }
        return (width, height)
    }
}

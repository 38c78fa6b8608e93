import LoomGraph
import LoomImaging

/// ComfyUI_essentials' "GetImageSize+": width, height and batch size.
public struct GetImageSizePlus: Node {
    public static let schema = NodeSchema(
        name: "GetImageSize+", displayName: "🔧 Get Image Size", category: "essentials/image utils",
        inputs: [.link("image", "IMAGE")],
        outputs: [OutputSpec("INT", name: "width"), OutputSpec("INT", name: "height"), OutputSpec("INT", name: "count")],
        pythonModule: Essentials.pythonModule)

    public init() {}

    /// CPU work on values; it may run beside other nodes.
    public static var runsConcurrently: Bool { true }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        return NodeResult([image.width, image.height, image.batchCount])
    }
}

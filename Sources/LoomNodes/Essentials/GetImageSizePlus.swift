import LoomGraph
import LoomImaging

/// ComfyUI_essentials' "GetImageSize+": width, height and batch size.
public struct GetImageSizePlus: CPUNode {
    public static let schema = NodeSchema(
        name: "GetImageSize+", displayName: "🔧 Get Image Size", category: "essentials/image utils",
        inputs: [.link("image", "IMAGE")],
        outputs: [OutputSpec("INT", name: "width"), OutputSpec("INT", name: "height"), OutputSpec("INT", name: "count")],
        pythonModule: Essentials.pythonModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("image", as: Image.self)
        return NodeResult([image.width, image.height, image.batchCount])
    }
}

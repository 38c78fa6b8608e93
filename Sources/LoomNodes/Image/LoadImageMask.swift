import LoomGraph
import LoomImaging

/// Loads one channel of an image from the input folder as a mask; alpha is inverted (1 − alpha).
public struct LoadImageMask: CPUNode {
    static let channels = ["alpha", "red", "green", "blue"]

    public static let schema = NodeSchema(
        name: "LoadImageMask", displayName: "Load Image (as Mask)", category: "mask",
        inputs: [
            .combo("image", ComboOptions(choices: .files(folder: "input"), uploadsImage: true)),
            .combo("channel", channels),
        ],
        outputs: [OutputSpec("MASK")])

    public init() {}

    public static var checkedInputs: Set<String> { ["image"] }

    public static func validate(_ inputs: NodeInputs, resources: Resources) -> String? {
        InputImageFile.problem(inputs, resources: resources)
    }

    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        try InputImageFile.fingerprint(inputs, resources: resources, node: schema.name)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let raster = try InputImageFile.read(inputs, resources: context.resources, node: Self.schema.name)
        let channel = try inputs("channel", as: String.self)
        if channel == "alpha" {
            // ComfyUI converts to RGBA first, so an image without alpha gives an all-zero mask of its size.
            return NodeResult([Mask(inverseAlphaOf: raster) ?? Mask(height: raster.height, width: raster.width, repeating: 0)])
        }
        guard let index = Self.channels.firstIndex(of: channel) else {
            throw NodeError(Self.schema.name, "channel: unknown channel '\(channel)'")
        }
        return NodeResult([Mask(channel: index - 1, of: Image(rgbOf: raster))])
    }
}

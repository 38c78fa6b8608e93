import LoomGraph
import LoomImaging

/// Loads an image from the input folder: its RGB pixels and a mask of 1 − alpha.
public struct LoadImage: Node {
    public static let schema = NodeSchema(
        name: "LoadImage", displayName: "Load Image", category: "image",
        inputs: [.combo("image", ComboOptions(choices: .files(folder: "input"), uploadsImage: true))],
        outputs: [OutputSpec("IMAGE"), OutputSpec("MASK")])

    public init() {}

    /// CPU work on values; it may run beside other nodes.
    public static var runsConcurrently: Bool { true }

    /// As in ComfyUI, the file's existence replaces the list check, so names in subfolders
    /// and annotated names such as `x.png [output]` are accepted.
    public static var checkedInputs: Set<String> { ["image"] }

    public static func validate(_ inputs: NodeInputs, resources: Resources) -> String? {
        InputImageFile.problem(inputs, resources: resources)
    }

    /// The SHA-256 of the file, so an edited image re-runs the node.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        try InputImageFile.fingerprint(inputs, resources: resources, node: schema.name)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let raster = try InputImageFile.read(inputs, resources: context.resources, node: Self.schema.name)
        // Without alpha ComfyUI returns a 64×64 empty mask, not one of the image's size.
        let mask = Mask(inverseAlphaOf: raster) ?? Mask(height: 64, width: 64, repeating: 0)
        return NodeResult([Image(rgbOf: raster), mask])
    }
}

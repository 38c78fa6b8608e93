import LoomGraph
import LoomImaging

/// Loads an image from the input folder: its RGB pixels and a mask of 1 − alpha. An animated file
/// gives a batch of its frames (those of the first frame's size) with a mask per frame.
public struct LoadImage: CPUNode {
    public static let schema = NodeSchema(
        name: "LoadImage", displayName: "Load Image", category: "image",
        inputs: [.combo("image", ComboOptions(choices: .files(folder: "input"), uploadsImage: true))],
        outputs: [OutputSpec("IMAGE"), OutputSpec("MASK")])

    public init() {}

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
        let frames = try InputImageFile.readFrames(inputs, resources: context.resources, node: Self.schema.name)
        let kept = frames.filter { $0.width == frames[0].width && $0.height == frames[0].height }
        // Without alpha ComfyUI returns a 64×64 empty mask, not one of the image's size.
        let masks = kept.map { Mask(inverseAlphaOf: $0) ?? Mask(height: 64, width: 64, repeating: 0) }
        guard masks.allSatisfy({ $0.height == masks[0].height && $0.width == masks[0].width }) else {
            throw NodeError(Self.schema.name, "image: frames with and without alpha cannot form one mask batch")
        }
        return NodeResult([
            Image.concatenating(kept.map { Image(rgbOf: $0) }),
            Mask(batchCount: masks.count, height: masks[0].height, width: masks[0].width, values: masks.flatMap(\.values)),
        ])
    }
}

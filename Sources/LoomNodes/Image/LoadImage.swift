import Crypto
import Foundation
import LoomGraph
import LoomImaging

/// Loads an image from the input folder: its RGB pixels and a mask of 1 − alpha.
public struct LoadImage: Node {
    public static let schema = NodeSchema(
        name: "LoadImage", displayName: "Load Image", category: "image",
        inputs: [.combo("image", ComboOptions(choices: .files(folder: "input"), uploadsImage: true))],
        outputs: [OutputSpec("IMAGE"), OutputSpec("MASK")])

    public init() {}

    /// As in ComfyUI, the file's existence replaces the list check, so names in subfolders
    /// and annotated names such as `x.png [output]` are accepted.
    public static var checkedInputs: Set<String> { ["image"] }

    public static func validate(_ inputs: NodeInputs, resources: Resources) -> String? {
        guard let name = try? inputs("image", as: String.self) else { return "Invalid image file: (none)" }
        guard let folders = resources.get(FolderPaths.self) else {
            return "Invalid image file: \(name) (no input folder is configured)"
        }
        do {
            _ = try folders.existingFile(annotated: name)
            return nil
        } catch {
            return "Invalid image file: \(name) (\(error))"
        }
    }

    /// The SHA-256 of the file, so an edited image re-runs the node.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        let path = try imagePath(inputs, resources: resources)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeError(schema.name, "cannot read '\(path)' to fingerprint it")
        }
        return .value(SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined())
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let path = try Self.imagePath(inputs, resources: context.resources)
        let png: PNGImage
        do {
            png = try ImageFile.readPNG(at: path)
        } catch {
            throw NodeError(Self.schema.name, error.description)
        }
        // Without alpha ComfyUI returns a 64×64 empty mask, not one of the image's size.
        let mask = Mask(inverseAlphaOf: png) ?? Mask(height: 64, width: 64, repeating: 0)
        return NodeResult([Image(rgbOf: png), mask])
    }

    static func imagePath(_ inputs: NodeInputs, resources: Resources) throws -> String {
        let folders = try ImageNodes.folders(resources, node: schema.name)
        do {
            return try folders.existingFile(annotated: try inputs("image", as: String.self))
        } catch let error as FileNameError {
            throw NodeError(schema.name, "image: \(error)")
        }
    }
}

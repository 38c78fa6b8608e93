import Crypto
import Foundation
import LoomGraph
import LoomImaging

/// The `image` input LoadImage and LoadImageMask share: a file in the input folder (or an annotated
/// other folder), checked for existence at validation and fingerprinted by its SHA-256.
enum InputImageFile {
    /// ComfyUI's VALIDATE_INPUTS message, with the reason added.
    static func problem(_ inputs: NodeInputs, resources: Resources) -> String? {
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

    static func fingerprint(_ inputs: NodeInputs, resources: Resources, node: String) throws -> Fingerprint {
        let path = try path(inputs, resources: resources, node: node)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeError(node, "cannot read '\(path)' to fingerprint it")
        }
        return .value(SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined())
    }

    /// The decoded file (its first frame), turned upright by its Exif orientation as ComfyUI's
    /// `exif_transpose` does.
    static func read(_ inputs: NodeInputs, resources: Resources, node: String) throws -> RasterImage {
        try readFrames(inputs, resources: resources, node: node)[0]
    }

    /// Every frame of the decoded file, each turned upright; files larger than the engine's limits are refused
    /// from their headers.
    static func readFrames(_ inputs: NodeInputs, resources: Resources, node: String) throws -> [RasterImage] {
        let path = try path(inputs, resources: resources, node: node)
        let limits = resources.limits
        do {
            return try ImageFile.readFrames(
                at: path, maximumPixels: limits.pixelsPerImage, maximumTotalPixels: limits.pixelsPerBatch
            ).map { $0.upright() }
        } catch {
            if case .decoding(.tooLarge) = error.problem {
                throw NodeError(
                    node, "image: \(error.description) (limits: \(limits.pixelsPerImage) pixels per image, \(limits.pixelsPerBatch) per batch)")
            }
            throw NodeError(node, "image: \(error.description)")
        }
    }

    static func path(_ inputs: NodeInputs, resources: Resources, node: String) throws -> String {
        let folders = try ImageNodes.folders(resources, node: node)
        do {
            return try folders.existingFile(annotated: try inputs("image", as: String.self))
        } catch let error as FileNameError {
            throw NodeError(node, "image: \(error)")
        }
    }
}

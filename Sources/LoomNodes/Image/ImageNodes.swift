import LoomGraph
import LoomImaging

/// What the image and mask nodes share.
enum ImageNodes {
    /// ComfyUI's `MAX_RESOLUTION`.
    static let maxResolution = 16384

    static let upscaleMethods = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]

    /// The folders the host registered, or an error saying that none were.
    static func folders(_ resources: Resources, node: String) throws(NodeError) -> FolderPaths {
        guard let folders = resources.get(FolderPaths.self) else {
            throw NodeError(node, "no input/output folders are configured (FolderPaths is not registered)")
        }
        return folders
    }

    /// Scaling keeps the aspect ratio, which an empty image does not have.
    static func requireNonEmpty(_ image: Image, node: String) throws(NodeError) {
        guard image.width > 0 && image.height > 0 else {
            throw NodeError(node, "image: the image is empty (\(image.width)×\(image.height))")
        }
    }

    /// Python's `round()`: halves go to the even neighbour.
    static func pythonRound(_ value: Double) -> Int { Int(value.rounded(.toNearestOrEven)) }
}

import LoomGraph

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

    /// Python's `round()`: halves go to the even neighbour.
    static func pythonRound(_ value: Double) -> Int { Int(value.rounded(.toNearestOrEven)) }
}

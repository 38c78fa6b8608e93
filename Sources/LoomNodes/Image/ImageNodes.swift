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

    /// Checks the size of two images joined side by side (ImageStitch, ImageConcanate) before they are: matched
    /// to the first image's side, the second keeps its aspect ratio, so a thin image can become an enormous one.
    typealias BatchShape = (width: Int, height: Int, batchCount: Int, channels: Int)

    static func shape(of value: NodeValue) -> BatchShape? {
        if let image = value as? Image { return (image.width, image.height, image.batchCount, image.channels) }
        if let mask = value as? Mask { return (mask.width, mask.height, mask.batchCount, 1) }
        return nil
    }

    static func checkJoinedSize(
        _ first: BatchShape, _ second: BatchShape, horizontal: Bool, matchingSize: Bool, spacing: Int = 0,
        budget: AllocationBudget, node: String
    ) throws(NodeError) {
        var (width2, height2) = (Double(second.width), Double(second.height))
        if matchingSize, second.width > 0, second.height > 0 {
            (width2, height2) = horizontal
                ? (Double(first.height) * width2 / height2, Double(first.height))
                : (Double(first.width), Double(first.width) * height2 / width2)
        }
        let gap = Double(max(spacing, 0) + 1)
        let width = horizontal ? Double(first.width) + width2 + gap : max(Double(first.width), width2)
        let height = horizontal ? max(Double(first.height), height2) : Double(first.height) + height2 + gap
        try budget.checkImage(
            width: pythonRound(width), height: pythonRound(height), batch: max(first.batchCount, second.batchCount),
            channels: max(first.channels, second.channels), node: node, inputs: "image1, image2")
    }

    /// Python's `round()`: halves go to the even neighbour. Sizes computed from a linked value can be anything,
    /// so the result saturates (NaN gives 0) and the size checks that follow refuse it.
    static func pythonRound(_ value: Double) -> Int {
        let rounded = value.rounded(.toNearestOrEven)
        if rounded.isNaN { return 0 }
        return rounded >= 0x1p63 ? .max : rounded < -0x1p63 ? .min : Int(rounded)
    }
}

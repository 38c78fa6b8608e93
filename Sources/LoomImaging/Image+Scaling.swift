extension Image {
    /// ComfyUI's `common_upscale`: with `centerCrop`, the source is first cut to the target's aspect
    /// ratio around its centre, then resized.
    public func scaled(width newWidth: Int, height newHeight: Int, method: ResamplingMethod, centerCrop: Bool)
        -> Image
    {
        guard centerCrop else { return resized(width: newWidth, height: newHeight, method: method) }
        let oldAspect = Double(width) / Double(height)
        let newAspect = Double(newWidth) / Double(newHeight)
        var x = 0, y = 0
        // Python's round(): halves go to the even neighbour.
        if oldAspect > newAspect {
            x = Int(((Double(width) - Double(width) * (newAspect / oldAspect)) / 2).rounded(.toNearestOrEven))
        } else if oldAspect < newAspect {
            y = Int(((Double(height) - Double(height) * (oldAspect / newAspect)) / 2).rounded(.toNearestOrEven))
        }
        return cropped(x: x, y: y, width: width - 2 * x, height: height - 2 * y)
            .resized(width: newWidth, height: newHeight, method: method)
    }
}

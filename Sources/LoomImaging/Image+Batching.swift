extension Image {
    /// ComfyUI's ImageBatch: `other` appended to this batch, first resized to this size (bilinear,
    /// centre crop) when they differ. Its channels are matched too, adding opaque alpha or dropping it,
    /// where ComfyUI would fail.
    public func batched(with other: Image) -> Image {
        var other = other.withChannels(channels, fill: 1)
        if other.height != height || other.width != width {
            other = other.scaled(width: width, height: height, method: .bilinear, centerCrop: true)
        }
        return .concatenating([self, other])
    }
}

extension Image {
    /// The images on a larger canvas filled with `value` in every channel (`F.pad` with a constant).
    public func padded(left: Int, right: Int, top: Int, bottom: Int, value: Float) -> Image {
        guard left != 0 || right != 0 || top != 0 || bottom != 0 else { return self }
        let newWidth = width + left + right, newHeight = height + top + bottom
        var result = Image(
            batchCount: batchCount, height: newHeight, width: newWidth, channels: channels, repeating: value)
        let rowLength = width * channels
        result.withMutablePixels { target in
            for batch in 0..<batchCount {
                for row in 0..<height {
                    let from = index(batch: batch, y: row, x: 0, channel: 0)
                    let to = ((batch * newHeight + top + row) * newWidth + left) * channels
                    for offset in 0..<rowLength { target[to + offset] = pixels[from + offset] }
                }
            }
        }
        return result
    }
}

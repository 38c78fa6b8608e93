extension Image {
    /// ComfyUI's ImagePadForOutpaint: the image on a 0.5-grey canvas grown by the given margins, and a
    /// mask that is 1 on the new margins and fades into the image over `feathering` pixels along padded
    /// edges as ((feathering − distance) / feathering)². Feathering is skipped unless twice it fits inside
    /// the image in both directions. The mask is a single mask whatever the batch size.
    public func paddedForOutpaint(left: Int, top: Int, right: Int, bottom: Int, feathering: Int) -> (Image, Mask) {
        let newWidth = width + left + right, newHeight = height + top + bottom
        var canvas = Image(
            batchCount: batchCount, height: newHeight, width: newWidth, channels: channels, repeating: 0.5)
        var mask = Mask(height: newHeight, width: newWidth, repeating: 1)
        canvas.withMutablePixels { target in
            for batch in 0..<batchCount {
                for row in 0..<height {
                    let from = index(batch: batch, y: row, x: 0, channel: 0)
                    let to = ((batch * newHeight + top + row) * newWidth + left) * channels
                    for offset in 0..<(width * channels) { target[to + offset] = pixels[from + offset] }
                }
            }
        }
        let feathers = feathering > 0 && feathering * 2 < height && feathering * 2 < width
        for row in 0..<height {
            for column in 0..<width {
                var value: Float = 0
                if feathers {
                    // Distances count only towards padded edges.
                    let distance = min(
                        top != 0 ? row : height, bottom != 0 ? height - row : height,
                        left != 0 ? column : width, right != 0 ? width - column : width)
                    if distance < feathering {
                        let fade = Double(feathering - distance) / Double(feathering)
                        value = Float(fade * fade)
                    }
                }
                mask[0, top + row, left + column] = value
            }
        }
        return (canvas, mask)
    }
}

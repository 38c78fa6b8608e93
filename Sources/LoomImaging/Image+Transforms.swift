extension Image {
    /// The images turned clockwise by `quarterTurns` × 90° (ComfyUI's ImageRotate, `torch.rot90` on W → H).
    public func rotatedClockwise(quarterTurns: Int) -> Image {
        let turns = ((quarterTurns % 4) + 4) % 4
        guard turns != 0 else { return self }
        let newWidth = turns == 2 ? width : height, newHeight = turns == 2 ? height : width
        return remapped(width: newWidth, height: newHeight) { x, y in
            switch turns {
            case 1: (y, height - 1 - x)
            case 2: (width - 1 - x, height - 1 - y)
            default: (width - 1 - y, x)
            }
        }
    }

    /// The images mirrored top to bottom (`vertically`) or left to right.
    public func flipped(vertically: Bool) -> Image {
        remapped(width: width, height: height) { x, y in vertically ? (x, height - 1 - y) : (width - 1 - x, y) }
    }

    /// A new image of the given size whose pixel (x, y) is this image's pixel `source(x, y)`.
    private func remapped(width newWidth: Int, height newHeight: Int, source: (Int, Int) -> (Int, Int)) -> Image {
        var result = [Float](repeating: 0, count: batchCount * newWidth * newHeight * channels)
        for batch in 0..<batchCount {
            for y in 0..<newHeight {
                for x in 0..<newWidth {
                    let (sourceX, sourceY) = source(x, y)
                    let from = index(batch: batch, y: sourceY, x: sourceX, channel: 0)
                    let to = ((batch * newHeight + y) * newWidth + x) * channels
                    for channel in 0..<channels { result[to + channel] = pixels[from + channel] }
                }
            }
        }
        return Image(batchCount: batchCount, height: newHeight, width: newWidth, channels: channels, pixels: result)
    }

    /// Images `start..<start+count` of the batch, clipped to it.
    public func frames(_ range: Range<Int>) -> Image {
        let clipped = range.clamped(to: 0..<batchCount)
        return Image(
            batchCount: clipped.count, height: height, width: width, channels: channels,
            pixels: Array(pixels[clipped.lowerBound * frameSize..<clipped.upperBound * frameSize]))
    }

    /// ComfyUI's ImageColorToMask: 1 where the 8-bit RGB (clamped, rounded half to even) equals `color`
    /// given as 0xRRGGBB, else 0.
    public func mask(matchingColor color: Int) -> Mask {
        func byte(_ value: Float) -> Int { value.isNaN ? 0 : Int((min(max(value, 0), 1) * 255).rounded(.toNearestOrEven)) }
        let values = (0..<(batchCount * height * width)).map { pixel -> Float in
            let base = pixel * channels
            let rgb = byte(pixels[base]) << 16 + byte(pixels[base + 1]) << 8 + byte(pixels[base + 2])
            return rgb == color ? 1 : 0
        }
        return Mask(batchCount: batchCount, height: height, width: width, values: values)
    }
}

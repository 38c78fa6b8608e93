/// Where ImageStitch puts the second image relative to the first.
public enum StitchDirection: String, Sendable, CaseIterable {
    case right, down, left, up

    var isHorizontal: Bool { self == .right || self == .left }
}

/// The colour of the gap ImageStitch leaves between images.
public enum StitchSpacingColor: String, Sendable, CaseIterable {
    case white, black, red, green, blue

    /// Grey levels fill every colour channel; primaries set one channel each.
    var rgb: [Float] {
        switch self {
        case .white: [1, 1, 1]
        case .black: [0, 0, 0]
        case .red: [1, 0, 0]
        case .green: [0, 1, 0]
        case .blue: [0, 0, 1]
        }
    }

    /// The value ComfyUI pads unmatched sizes with: the grey level, or 0 for primaries.
    var padValue: Float { self == .white ? 1 : 0 }
}

extension Image {
    /// ComfyUI's ImageStitch: `other` joined to this image in `direction`.
    ///
    /// Shorter batches repeat their last image. With `matchingSize`, `other` is resized with lanczos to
    /// this image's height (left/right) or width (up/down) keeping its aspect ratio; otherwise the smaller
    /// one is padded, centred, with the spacing colour's pad value. Channel counts are evened out with
    /// ones, and `spacing` (rounded up to even) columns or rows of the spacing colour separate the two.
    public func stitched(
        with other: Image, direction: StitchDirection, matchingSize: Bool, spacing: Int,
        spacingColor: StitchSpacingColor
    ) -> Image {
        let batch = max(batchCount, other.batchCount)
        var first = repeatingLast(toBatchCount: batch)
        var second = other.repeatingLast(toBatchCount: batch)
        // Lanczos to an unchanged size only truncates to 8 bits; that is done while joining, saving a copy.
        var truncatesSecond = false
        // An empty second image has no aspect ratio to keep; it is padded like an unmatched one.
        if matchingSize && second.width > 0 && second.height > 0 {
            let aspect = Double(second.width) / Double(second.height)
            // Python's int(): truncation.
            let (targetWidth, targetHeight) =
                direction.isHorizontal
                ? (Int(Double(first.height) * aspect), first.height)
                : (first.width, Int(Double(first.width) / aspect))
            if (max(targetWidth, 1), max(targetHeight, 1)) == (second.width, second.height) {
                truncatesSecond = true
            } else {
                second = second.resized(width: max(targetWidth, 1), height: max(targetHeight, 1), method: .lanczos)
            }
        } else {
            let value = spacingColor.padValue
            if direction.isHorizontal {
                let height = max(first.height, second.height)
                first = first.paddedCentered(height: height, width: first.width, value: value)
                second = second.paddedCentered(height: height, width: second.width, value: value)
            } else {
                let width = max(first.width, second.width)
                first = first.paddedCentered(height: first.height, width: width, value: value)
                second = second.paddedCentered(height: second.height, width: width, value: value)
            }
        }
        let channels = max(first.channels, second.channels)
        first = first.withChannels(channels, fill: 1)
        second = second.withChannels(channels, fill: 1)

        var parts = direction == .left || direction == .up ? [second, first] : [first, second]
        var truncated: Set<Int> = truncatesSecond ? [direction == .left || direction == .up ? 0 : 1] : []
        if spacing > 0 {
            let gap = spacing + spacing % 2
            let fill = (0..<channels).map { $0 < 3 ? spacingColor.rgb[$0] : 1 }
            let (gapHeight, gapWidth) =
                direction.isHorizontal
                ? (max(first.height, second.height), gap) : (gap, max(first.width, second.width))
            let pixels = (0..<(batch * gapHeight * gapWidth)).flatMap { _ in fill }
            let spacer = Image(batchCount: batch, height: gapHeight, width: gapWidth, channels: channels, pixels: pixels)
            parts.insert(spacer, at: 1)
            if truncated.contains(1) { truncated = [2] }
        }
        if !direction.isHorizontal {
            // Rows of a vertical join are whole images: truncate the one part before joining.
            for index in truncated { parts[index] = parts[index].mapSamples(LanczosResampler.truncatedTo8Bits) }
            return .joiningVertically(parts)
        }
        return .joiningHorizontally(parts, truncating: truncated)
    }

    /// The batch extended to `count` by repeating its last image.
    func repeatingLast(toBatchCount count: Int) -> Image {
        guard count > batchCount, batchCount > 0 else { return self }
        let last = frame(batchCount - 1)
        return .concatenating([self] + Array(repeating: last, count: count - batchCount))
    }

    /// The image centred on a canvas of `value`, the extra split with the smaller half first.
    func paddedCentered(height newHeight: Int, width newWidth: Int, value: Float) -> Image {
        let top = (newHeight - height) / 2, left = (newWidth - width) / 2
        return padded(
            left: left, right: newWidth - width - left, top: top, bottom: newHeight - height - top, value: value)
    }

    /// Images of equal batch, height and channels placed side by side.
    /// Parts listed in `truncating` are cut to 8 bits on the way, as lanczos at an unchanged size does.
    static func joiningHorizontally(_ images: [Image], truncating: Set<Int> = []) -> Image {
        let first = images[0]
        let width = images.reduce(0) { $0 + $1.width }
        let rowLength = width * first.channels, rows = first.batchCount * first.height
        let pixels = [Float](unsafeUninitializedCapacity: rows * rowLength) { buffer, initialized in
            let target = SharedPointer(buffer)
            // Rows are independent copies; two cores move the bytes faster than one.
            ParallelRows.forEach(rows, samplesPerRow: rowLength) { range in
                for row in range {
                    var destination = target.base + row * rowLength
                    for (index, image) in images.enumerated() {
                        let count = image.width * image.channels
                        image.pixels.withUnsafeBufferPointer { source in
                            let start = source.baseAddress! + row * count
                            if truncating.contains(index) {
                                for offset in 0..<count { (destination + offset).initialize(to: LanczosResampler.truncatedTo8Bits(start[offset])) }
                            } else {
                                destination.initialize(from: start, count: count)
                            }
                        }
                        destination += count
                    }
                }
            }
            initialized = rows * rowLength
        }
        return Image(
            batchCount: first.batchCount, height: first.height, width: width, channels: first.channels, pixels: pixels)
    }

    /// Images of equal batch, width and channels stacked top to bottom.
    static func joiningVertically(_ images: [Image]) -> Image {
        let first = images[0]
        let height = images.reduce(0) { $0 + $1.height }
        var pixels = [Float]()
        pixels.reserveCapacity(first.batchCount * height * first.width * first.channels)
        for batch in 0..<first.batchCount {
            for image in images {
                let start = batch * image.frameSize
                pixels.append(contentsOf: image.pixels[start..<start + image.frameSize])
            }
        }
        return Image(
            batchCount: first.batchCount, height: height, width: first.width, channels: first.channels, pixels: pixels)
    }
}

/// Reads the orientation tag from Exif data and turns stored pixels upright, as PIL's
/// `ImageOps.exif_transpose` does for ComfyUI's LoadImage.
enum ExifOrientation {
    /// Tag 0x0112 of the first image directory of TIFF-structured Exif data; nil when absent or invalid.
    static func value(inTIFF data: [UInt8]) -> Int? {
        guard data.count >= 8 else { return nil }
        let littleEndian: Bool
        switch (data[0], data[1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return nil
        }
        func integer(at offset: Int, size: Int) -> Int? {
            guard offset >= 0, offset + size <= data.count else { return nil }
            let bytes = data[offset..<offset + size]
            return (littleEndian ? bytes.reversed() : Array(bytes)).reduce(0) { $0 << 8 | Int($1) }
        }
        guard integer(at: 2, size: 2) == 42, let directory = integer(at: 4, size: 4),
            let count = integer(at: directory, size: 2)
        else { return nil }
        for entry in 0..<count {
            let offset = directory + 2 + entry * 12
            guard let tag = integer(at: offset, size: 2) else { return nil }
            // A SHORT value sits in the first two bytes of the entry's value field.
            if tag == 0x0112, integer(at: offset + 2, size: 2) == 3, let value = integer(at: offset + 8, size: 2) {
                return (1...8).contains(value) ? value : nil
            }
        }
        return nil
    }
}

extension RasterImage {
    /// The pixels turned to orientation 1 (mirrored and rotated as the Exif orientation says).
    public func upright() -> RasterImage {
        guard orientation != 1 else { return self }
        // Orientations 5...8 swap the axes.
        let swapsAxes = orientation >= 5
        let newWidth = swapsAxes ? height : width, newHeight = swapsAxes ? width : height
        var result = [UInt16](repeating: 0, count: samples.count)
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                // The stored pixel that lands at (x, y) after PIL's transpose for this orientation.
                let (sourceX, sourceY): (Int, Int) =
                    switch orientation {
                    case 2: (width - 1 - x, y)  // mirror left-right
                    case 3: (width - 1 - x, height - 1 - y)  // rotate 180°
                    case 4: (x, height - 1 - y)  // mirror top-bottom
                    case 5: (y, x)  // transpose
                    case 6: (y, height - 1 - x)  // rotate 90° clockwise
                    case 7: (width - 1 - y, height - 1 - x)  // transverse
                    default: (width - 1 - y, x)  // 8: rotate 90° counter-clockwise
                    }
                let from = (sourceY * width + sourceX) * channels
                let to = (y * newWidth + x) * channels
                for channel in 0..<channels { result[to + channel] = samples[from + channel] }
            }
        }
        return RasterImage(
            width: newWidth, height: newHeight, channels: channels, bitDepth: bitDepth, samples: result,
            textChunks: textChunks)
    }
}

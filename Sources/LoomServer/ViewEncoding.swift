import LoomImaging

/// What `GET /view` sends for `preview=webp|jpeg;quality` and `channel=rgb|a|rgba`, following ComfyUI: a preview is
/// re-encoded lossy (WebP whenever alpha is asked for), `channel=rgb` drops alpha into a PNG, and `channel=a` is a
/// PNG whose alpha is the image's alpha over black.
enum ViewEncoding: Equatable {
    case asStored
    case webP(quality: Int, dropAlpha: Bool)
    case jpeg(quality: Int)
    case pngRGB
    case pngAlpha

    init(preview: String?, channel: String?) {
        if let preview {
            let parts = preview.split(separator: ";", omittingEmptySubsequences: false)
            let quality = parts.last.flatMap { Int($0) } ?? 90
            let asksForAlpha = channel?.contains("a") ?? false
            self =
                parts.first == "jpeg" && !asksForAlpha
                ? .jpeg(quality: quality) : .webP(quality: quality, dropAlpha: channel == "rgb")
            return
        }
        switch channel ?? "rgba" {
        case "rgb": self = .pngRGB
        case "a": self = .pngAlpha
        default: self = .asStored
        }
    }

    /// The encoded bytes and their media type; nil for `.asStored`.
    func encode(_ raster: RasterImage) throws(ImageCodingError) -> (bytes: [UInt8], mediaType: String)? {
        switch self {
        case .asStored:
            return nil
        case .webP(let quality, let dropAlpha):
            let channels = raster.hasAlpha && !dropAlpha ? 4 : 3
            return (try raster.eightBit(channels: channels).encodedWebP(quality: quality), "image/webp")
        case .jpeg(let quality):
            return (try raster.eightBit(channels: 3).encodedJPEG(quality: quality), "image/jpeg")
        case .pngRGB:
            return (try raster.eightBit(channels: 3).encodedPNG(), "image/png")
        case .pngAlpha:
            let rgba = raster.eightBit(channels: 4)
            var samples = [UInt16](repeating: 0, count: rgba.samples.count)
            for index in stride(from: 3, to: samples.count, by: 4) { samples[index] = rgba.samples[index] }
            let alpha = RasterImage(width: rgba.width, height: rgba.height, channels: 4, bitDepth: 8, samples: samples)
            return (try alpha.encodedPNG(), "image/png")
        }
    }
}

extension RasterImage {
    /// 8-bit samples as grey→RGB replication and opaque alpha where missing, like PIL's `convert("RGB"|"RGBA")`.
    /// `channels` is 3 or 4; 16-bit samples are scaled to 8 bits; text chunks are kept.
    func eightBit(channels target: Int) -> RasterImage {
        let scale: (UInt16) -> UInt16 = bitDepth == 16 ? { UInt16((UInt32($0) * 255 + 32_767) / 65_535) } : { $0 }
        let source = samples
        var converted = [UInt16]()
        converted.reserveCapacity(width * height * target)
        for pixel in 0..<(width * height) {
            let base = pixel * channels
            for colour in 0..<3 { converted.append(scale(source[channels >= 3 ? base + colour : base])) }
            if target == 4 { converted.append(hasAlpha ? scale(source[base + channels - 1]) : 255) }
        }
        return RasterImage(
            width: width, height: height, channels: target, bitDepth: 8, samples: converted, textChunks: textChunks)
    }
}

import CLibWebP

extension RasterImage {
    /// Lossy WebP bytes at `quality` (0...100) for an 8-bit RGB or RGBA image, as PIL saves WebP.
    public func encodedWebP(quality: Int = 90) throws(ImageCodingError) -> [UInt8] {
        guard bitDepth == 8, channels == 3 || channels == 4 else {
            throw .unsupported("WebP takes 8-bit RGB or RGBA, not \(channels) channels of \(bitDepth) bits")
        }
        guard width <= Int(WEBP_MAX_DIMENSION), height <= Int(WEBP_MAX_DIMENSION) else {
            throw .unsupported("WebP images are at most \(WEBP_MAX_DIMENSION) pixels on a side")
        }
        let packed = samples.map { UInt8(truncatingIfNeeded: $0) }
        let level = Float(min(max(quality, 0), 100))
        var output: UnsafeMutablePointer<UInt8>?
        let size = packed.withUnsafeBufferPointer { pixels in
            channels == 4
                ? WebPEncodeRGBA(pixels.baseAddress, Int32(width), Int32(height), Int32(width * 4), level, &output)
                : WebPEncodeRGB(pixels.baseAddress, Int32(width), Int32(height), Int32(width * 3), level, &output)
        }
        guard size > 0, let output else { throw .outOfMemory }
        defer { WebPFree(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    /// Decodes every frame of a WebP file, still or animated, as Pillow does: through libwebp's
    /// animation decoder, which composites each frame onto the full canvas (disposal and blending
    /// included). Frames are 8-bit RGBA when the file declares alpha, else RGB. A canvas of more than
    /// `maximumPixels`, or frames of more than `maximumTotalPixels` together, are refused before decoding.
    public static func frames(
        decodingWebP bytes: [UInt8], maximumPixels: Int = defaultMaximumPixels,
        maximumTotalPixels: Int = defaultMaximumPixels
    ) throws(ImageCodingError) -> [RasterImage] {
        var features = WebPBitstreamFeatures()
        let status = bytes.withUnsafeBufferPointer { WebPGetFeatures($0.baseAddress, $0.count, &features) }
        switch status {
        case VP8_STATUS_OK: break
        case VP8_STATUS_NOT_ENOUGH_DATA: throw .corrupt("the WebP data ends early")
        case VP8_STATUS_UNSUPPORTED_FEATURE: throw .unsupported("a WebP feature libwebp does not support")
        case VP8_STATUS_OUT_OF_MEMORY: throw .outOfMemory
        default: throw .corrupt("invalid WebP data (libwebp status \(status.rawValue))")
        }
        let channels = features.has_alpha != 0 ? 4 : 3
        try checkSize(ofWebP: bytes, maximumPixels: maximumPixels, maximumTotalPixels: maximumTotalPixels)
        let decoded: Result<[RasterImage], ImageCodingError> = bytes.withUnsafeBufferPointer { buffer in
            var options = WebPAnimDecoderOptions()
            guard WebPAnimDecoderOptionsInit(&options) != 0 else { return .failure(.unsupported("libwebp version mismatch")) }
            options.color_mode = MODE_RGBA
            options.use_threads = 0
            var data = WebPData(bytes: buffer.baseAddress, size: buffer.count)
            guard let decoder = WebPAnimDecoderNew(&data, &options) else {
                return .failure(.corrupt("libwebp cannot decode the WebP data"))
            }
            defer { WebPAnimDecoderDelete(decoder) }
            var info = WebPAnimInfo()
            guard WebPAnimDecoderGetInfo(decoder, &info) != 0 else { return .failure(.corrupt("no WebP canvas")) }
            let (width, height) = (Int(info.canvas_width), Int(info.canvas_height))
            guard width <= maximumDimension && height <= maximumDimension else {
                return .failure(.unsupported("\(width)×\(height) is larger than \(maximumDimension) pixels a side"))
            }
            var frames = [RasterImage]()
            while WebPAnimDecoderHasMoreFrames(decoder) != 0 {
                var canvas: UnsafeMutablePointer<UInt8>?
                var timestamp: Int32 = 0
                guard WebPAnimDecoderGetNext(decoder, &canvas, &timestamp) != 0, let canvas else {
                    return .failure(.corrupt("WebP frame \(frames.count + 1) cannot be decoded"))
                }
                var samples = [UInt16]()
                samples.reserveCapacity(width * height * channels)
                for pixel in 0..<(width * height) {
                    for channel in 0..<channels { samples.append(UInt16(canvas[pixel * 4 + channel])) }
                }
                frames.append(RasterImage(width: width, height: height, channels: channels, bitDepth: 8, samples: samples))
            }
            return frames.isEmpty ? .failure(.corrupt("the WebP file has no frames")) : .success(frames)
        }
        return try decoded.get()
    }

    /// The animation decoder allocates the whole canvas as it starts, and every frame is a canvas; the demuxer
    /// reads the canvas size and the frame count from the container without decoding, so both are checked first.
    private static func checkSize(
        ofWebP bytes: [UInt8], maximumPixels: Int, maximumTotalPixels: Int
    ) throws(ImageCodingError) {
        let size: (width: UInt32, height: UInt32, frames: UInt32)? = bytes.withUnsafeBufferPointer { buffer in
            var data = WebPData(bytes: buffer.baseAddress, size: buffer.count)
            guard let demuxer = WebPDemux(&data) else { return nil }
            defer { WebPDemuxDelete(demuxer) }
            return (
                WebPDemuxGetI(demuxer, WEBP_FF_CANVAS_WIDTH), WebPDemuxGetI(demuxer, WEBP_FF_CANVAS_HEIGHT),
                max(1, WebPDemuxGetI(demuxer, WEBP_FF_FRAME_COUNT))
            )
        }
        guard let size else { throw .corrupt("libwebp cannot read the WebP container") }
        let canvas = Double(size.width) * Double(size.height)
        guard canvas <= Double(maximumPixels) else {
            throw .tooLarge("the canvas is \(size.width) x \(size.height) = \(Int(canvas)) pixels, more than the limit of \(maximumPixels)")
        }
        let total = canvas * Double(size.frames)
        guard total <= Double(maximumTotalPixels) else {
            throw .tooLarge(
                "\(size.frames) frames of \(size.width) x \(size.height) are \(Int(total)) pixels, more than the limit of \(maximumTotalPixels)")
        }
    }
}

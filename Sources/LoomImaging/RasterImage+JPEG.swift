import CJPEGShim

extension RasterImage {
    /// Decodes a JPEG with libjpeg as PIL does: 8-bit grey or RGB, with the Exif orientation recorded
    /// (not applied). CMYK files and files that end early are refused.
    /// One of more than `maximumPixels` pixels is refused from its header.
    public init(decodingJPEG bytes: [UInt8], maximumPixels: Int = defaultMaximumPixels) throws(ImageCodingError) {
        var decoded = loom_jpeg_image()
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { buffer in
            loom_jpeg_decode(
                buffer.baseAddress, buffer.count, UInt32(Self.maximumDimension), UInt64(max(0, maximumPixels)),
                &decoded, &message, message.count)
        }
        guard status == LOOM_JPEG_OK else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch status {
            case LOOM_JPEG_NOT_JPEG: throw .unrecognized
            case LOOM_JPEG_UNSUPPORTED: throw .unsupported(text)
            case LOOM_JPEG_OUT_OF_MEMORY: throw .outOfMemory
            case LOOM_JPEG_TOO_LARGE: throw .tooLarge(text)
            default: throw .corrupt(text)
            }
        }
        defer { loom_jpeg_image_free(&decoded) }
        let count = Int(decoded.width) * Int(decoded.height) * Int(decoded.channels)
        let exif = decoded.exif.map { Array(UnsafeBufferPointer(start: $0, count: decoded.exif_length)) } ?? []
        self.init(
            width: Int(decoded.width), height: Int(decoded.height), channels: Int(decoded.channels), bitDepth: 8,
            samples: UnsafeBufferPointer(start: decoded.pixels, count: count).map(UInt16.init),
            orientation: ExifOrientation.value(inTIFF: exif) ?? 1)
    }
}

extension RasterImage {
    /// Baseline JPEG bytes at `quality` (1...100) for an 8-bit grey or RGB image; alpha must be dropped first.
    public func encodedJPEG(quality: Int = 90) throws(ImageCodingError) -> [UInt8] {
        guard bitDepth == 8, channels == 1 || channels == 3 else {
            throw .unsupported("JPEG takes 8-bit grey or RGB, not \(channels) channels of \(bitDepth) bits")
        }
        let packed = samples.map { UInt8(truncatingIfNeeded: $0) }
        var output: UnsafeMutablePointer<UInt8>?
        var outputSize = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = packed.withUnsafeBufferPointer { pixels in
            loom_jpeg_encode(
                pixels.baseAddress, UInt32(width), UInt32(height), Int32(channels), Int32(quality), &output,
                &outputSize, &message, message.count)
        }
        guard status == LOOM_JPEG_OK, let output else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw status == LOOM_JPEG_OUT_OF_MEMORY ? .outOfMemory : .unsupported(text)
        }
        defer { loom_jpeg_buffer_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: outputSize))
    }
}

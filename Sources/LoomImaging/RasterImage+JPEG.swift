import CJPEGShim

extension RasterImage {
    /// Decodes a JPEG with libjpeg as PIL does: 8-bit grey or RGB, with the Exif orientation recorded
    /// (not applied). CMYK files and files that end early are refused.
    public init(decodingJPEG bytes: [UInt8]) throws(ImageCodingError) {
        var decoded = loom_jpeg_image()
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { buffer in
            loom_jpeg_decode(
                buffer.baseAddress, buffer.count, UInt32(Self.maximumDimension), &decoded, &message, message.count)
        }
        guard status == LOOM_JPEG_OK else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch status {
            case LOOM_JPEG_NOT_JPEG: throw .unrecognized
            case LOOM_JPEG_UNSUPPORTED: throw .unsupported(text)
            case LOOM_JPEG_OUT_OF_MEMORY: throw .outOfMemory
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

import CPNGShim
import Foundation

extension RasterImage {
    /// Decodes a PNG with libpng; one of more than `maximumPixels` pixels is refused from its header.
    public init(decodingPNG bytes: [UInt8], maximumPixels: Int = defaultMaximumPixels) throws(ImageCodingError) {
        var decoded = loom_png_image()
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { buffer in
            loom_png_decode(
                buffer.baseAddress, buffer.count, UInt32(Self.maximumDimension), UInt64(max(0, maximumPixels)),
                &decoded, &message, message.count)
        }
        guard status == LOOM_PNG_OK else { throw ImageCodingError(status, message: message) }
        defer { loom_png_image_free(&decoded) }

        let sampleCount = Int(decoded.width) * Int(decoded.height) * Int(decoded.channels)
        let raw = UnsafeRawBufferPointer(start: decoded.pixels, count: decoded.pixel_bytes)
        let samples: [UInt16] =
            decoded.bit_depth == 16
            ? (0..<sampleCount).map { raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self) }
            : raw.prefix(sampleCount).map(UInt16.init)
        self.init(
            width: Int(decoded.width), height: Int(decoded.height), channels: Int(decoded.channels),
            bitDepth: Int(decoded.bit_depth), samples: samples, textChunks: Self.textChunks(of: decoded))
    }

    /// The text chunks of a PNG, read without decoding its pixels, whatever its size.
    public static func textChunks(ofPNG bytes: [UInt8]) throws(ImageCodingError) -> [PNGTextChunk] {
        var decoded = loom_png_image()
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { buffer in
            loom_png_read_texts(buffer.baseAddress, buffer.count, &decoded, &message, message.count)
        }
        guard status == LOOM_PNG_OK else { throw ImageCodingError(status, message: message) }
        defer { loom_png_image_free(&decoded) }
        return textChunks(of: decoded)
    }

    private static func textChunks(of decoded: loom_png_image) -> [PNGTextChunk] {
        UnsafeBufferPointer(start: decoded.texts, count: decoded.text_count).map { text in
            let bytes = UnsafeBufferPointer(start: text.text, count: text.text_length).map { UInt8(bitPattern: $0) }
            return PNGTextChunk(
                key: PNGTextChunk.latin1(UnsafeBufferPointer(start: text.key, count: strlen(text.key))),
                text: text.is_utf8 != 0 ? String(decoding: bytes, as: UTF8.self) : PNGTextChunk.latin1(bytes))
        }
    }

    /// PNG bytes with the text chunks as uncompressed tEXt before the image data, as PIL writes them.
    /// `compressionLevel` is zlib's 0...9 (ComfyUI saves with 4, previews with 1).
    public func encodedPNG(compressionLevel: Int = 6) throws(ImageCodingError) -> [UInt8] {
        guard bitDepth == 8 || bitDepth == 16, (1...4).contains(channels) else {
            throw .unsupported("cannot write \(channels) channels of \(bitDepth) bits")
        }
        // C copies stay at fixed addresses for the call; `defer` frees them.
        var keys = [UnsafePointer<CChar>?](), values = [UnsafePointer<CChar>?]()
        defer { (keys + values).forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        for chunk in textChunks {
            guard (1...79).contains(chunk.key.unicodeScalars.count), let key = chunk.latin1Key,
                let value = chunk.latin1Text
            else {
                throw .unsupported("text chunk '\(chunk.key)' needs a 1–79 character key and Latin-1 text without NUL")
            }
            keys.append(UnsafePointer(strdup(key.map { CChar(bitPattern: $0) } + [0])))
            values.append(UnsafePointer(strdup(value.map { CChar(bitPattern: $0) } + [0])))
        }
        let packed: [UInt8] =
            bitDepth == 16
            ? samples.flatMap { sample in withUnsafeBytes(of: sample) { Array($0) } }
            : samples.map { UInt8(truncatingIfNeeded: $0) }

        var output: UnsafeMutablePointer<UInt8>?
        var outputSize = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = packed.withUnsafeBufferPointer { pixels in
            loom_png_encode(
                pixels.baseAddress, UInt32(width), UInt32(height), Int32(channels), Int32(bitDepth),
                keys, values, keys.count, Int32(compressionLevel), &output, &outputSize, &message, message.count)
        }
        guard status == LOOM_PNG_OK, let output else { throw ImageCodingError(status, message: message) }
        defer { loom_png_buffer_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: outputSize))
    }
}

extension ImageCodingError {
    init(_ status: loom_png_status, message: [CChar]) {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case LOOM_PNG_NOT_PNG: self = .unrecognized
        case LOOM_PNG_UNSUPPORTED: self = .unsupported(text)
        case LOOM_PNG_OUT_OF_MEMORY: self = .outOfMemory
        case LOOM_PNG_TOO_LARGE: self = .tooLarge(text)
        default: self = .corrupt(text)
        }
    }
}

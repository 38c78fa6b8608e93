import Foundation

/// Reading and writing image files, with errors that name the file.
public enum ImageFile {
    /// Decodes a PNG, JPEG or WebP file, recognised by its first bytes whatever its extension; for an
    /// animated file, its first frame.
    public static func read(
        at path: String, maximumPixels: Int = RasterImage.defaultMaximumPixels
    ) throws(ImageFileError) -> RasterImage {
        try readFrames(at: path, maximumPixels: maximumPixels, maximumTotalPixels: maximumPixels)[0]
    }

    /// Every frame of the file: one for PNG and JPEG, one per frame (composited) for WebP. Images larger than
    /// `maximumPixels` a frame, or `maximumTotalPixels` in all, are refused before their pixels are decoded.
    public static func readFrames(
        at path: String, maximumPixels: Int = RasterImage.defaultMaximumPixels,
        maximumTotalPixels: Int = RasterImage.defaultMaximumPixels
    ) throws(ImageFileError) -> [RasterImage] {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ImageFileError(path: path, problem: exists ? .unreadable(error.localizedDescription) : .missing)
        }
        if let format = otherFormat(of: bytes) {
            throw ImageFileError(path: path, problem: .unsupportedFormat(format))
        }
        do {
            return try frames(decoding: bytes, maximumPixels: maximumPixels, maximumTotalPixels: maximumTotalPixels)
        } catch {
            throw ImageFileError(path: path, problem: .decoding(error))
        }
    }

    /// PNG, JPEG or WebP bytes decoded, recognised by their first bytes; for an animation, its first frame.
    public static func decode(
        _ bytes: [UInt8], maximumPixels: Int = RasterImage.defaultMaximumPixels
    ) throws(ImageCodingError) -> RasterImage {
        try frames(decoding: bytes, maximumPixels: maximumPixels, maximumTotalPixels: maximumPixels)[0]
    }

    private static func frames(
        decoding bytes: [UInt8], maximumPixels: Int, maximumTotalPixels: Int
    ) throws(ImageCodingError) -> [RasterImage] {
        let limit = min(maximumPixels, maximumTotalPixels)
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return [try RasterImage(decodingJPEG: bytes, maximumPixels: limit)] }
        if isWebP(bytes) {
            return try RasterImage.frames(decodingWebP: bytes, maximumPixels: maximumPixels, maximumTotalPixels: maximumTotalPixels)
        }
        return [try RasterImage(decodingPNG: bytes, maximumPixels: limit)]
    }

    /// Writes `bytes`, replacing the file; the folder must exist.
    public static func write(_ bytes: [UInt8], to path: String) throws(ImageFileError) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ImageFileError(path: path, problem: .unwritable(error.localizedDescription))
        }
    }

    /// What the leading bytes say a file is ("a JPEG image"), for messages; nil when they name no image format.
    public static func imageKind(of bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "a PNG image" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "a JPEG image" }
        if isWebP(bytes) { return "a WebP image" }
        return otherFormat(of: bytes)
    }

    /// The name of an image format Loom cannot read yet, recognised by its leading bytes.
    static func otherFormat(of bytes: [UInt8]) -> String? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.starts(with: prefix, at: offset)
        }
        if starts(Array("GIF8".utf8)) { return "a GIF image" }
        if starts(Array("BM".utf8)) { return "a BMP image" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "a TIFF image" }
        if starts(Array("ftyp".utf8), at: 4) { return "an AVIF/HEIF image" }
        return nil
    }

    static func isWebP(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: Array("RIFF".utf8), at: 0) && bytes.starts(with: Array("WEBP".utf8), at: 8)
    }
}

extension [UInt8] {
    fileprivate func starts(with prefix: [UInt8], at offset: Int) -> Bool {
        count >= offset + prefix.count && Array(self[offset..<offset + prefix.count]) == prefix
    }
}

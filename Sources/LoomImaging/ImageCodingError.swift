/// Why image bytes could not be decoded or encoded.
public enum ImageCodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes start with no signature of a format Loom reads.
    case unrecognized
    /// The data is damaged or cut short; the codec's message says where.
    case corrupt(String)
    /// Valid data that Loom does not handle, such as an oversized or CMYK image.
    case unsupported(String)
    case outOfMemory
    /// More pixels than the caller allows; refused before any were allocated.
    case tooLarge(String)

    public var description: String {
        switch self {
        case .unrecognized: "not a PNG, JPEG or WebP file"
        case .corrupt(let message): "damaged image data: \(message)"
        case .unsupported(let message): "unsupported image: \(message)"
        case .outOfMemory: "out of memory"
        case .tooLarge(let message): "image too large: \(message)"
        }
    }
}

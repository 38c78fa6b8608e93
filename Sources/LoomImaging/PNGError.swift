/// Why PNG bytes could not be decoded or encoded.
public enum PNGError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes do not start with the PNG signature.
    case notPNG
    /// The data is damaged or cut short; libpng's message says where.
    case corrupt(String)
    /// Valid PNG or pixel data that Loom does not handle, such as an oversized image.
    case unsupported(String)
    case outOfMemory

    public var description: String {
        switch self {
        case .notPNG: "not a PNG file"
        case .corrupt(let message): "damaged PNG data: \(message)"
        case .unsupported(let message): "unsupported PNG: \(message)"
        case .outOfMemory: "out of memory"
        }
    }
}

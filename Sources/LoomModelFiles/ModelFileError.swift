/// Why a model file or folder could not be used. The message names the file and what is wrong with it,
/// so a person can act on it without a debugger.
public struct ModelFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened, mapped or listed.
        case unreadable
        /// The file ends before the data its header describes.
        case truncated
        /// The bytes contradict the format: bad magic, inconsistent sizes, overlapping data.
        case corrupt
        /// Valid for its format but not something Loom reads: a tensor type, a compression method.
        case unsupported
        /// A pickle asked for something a state dict never needs; loading it could run code.
        case forbidden
        /// A name that is not in any searched folder, or one that tries to leave it.
        case notFound
    }

    public let path: String
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

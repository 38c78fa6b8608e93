/// An image file that could not be read or written, naming the file.
public struct ImageFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        case missing
        case unreadable(String)
        /// Another image format, named, that Loom cannot decode yet.
        case unsupportedFormat(String)
        case decoding(ImageCodingError)
        case unwritable(String)
    }

    public var path: String
    public var problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .missing: "image file '\(path)' does not exist"
        case .unreadable(let reason): "cannot read image file '\(path)': \(reason)"
        case .unsupportedFormat(let format):
            "cannot load image file '\(path)': it is \(format), and Loom reads only PNG, JPEG and WebP so far"
        case .decoding(let error): "cannot load image file '\(path)': \(error)"
        case .unwritable(let reason): "cannot write image file '\(path)': \(reason)"
        }
    }
}

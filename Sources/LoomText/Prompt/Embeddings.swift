import Foundation

/// Resolves `embedding:name` prompt words to textual-inversion embeddings.
public protocol EmbeddingResolver: Sendable {
    /// The number of vectors the named embedding holds, or nil when there is no such embedding.
    func vectorCount(ofEmbeddingNamed name: String) throws(PromptTokenizerError) -> Int?
    /// Where `vectorCount(ofEmbeddingNamed:)` looks, for error messages.
    var searchedDirectories: [URL] { get }
}

/// Finds embedding files as ComfyUI's `load_embed` does: in each directory and its subdirectories
/// (in order), the name as given, then with `.safetensors`, `.pt` or `.bin` appended; names that
/// would escape a directory are ignored.
public struct EmbeddingFileFinder: Sendable {
    public static let extensions = [".safetensors", ".pt", ".bin"]
    public var directories: [URL]

    public init(directories: [URL]) {
        self.directories = directories
    }

    public func file(named name: String) -> URL? {
        // An absolute name replaces the directory in Python's os.path.join and then fails the
        // containment check, so it never matches.
        guard !name.hasScalarPrefix("/") else { return nil }
        for directory in expandedDirectories() {
            let root = directory.standardizedFileURL
            let candidate = root.appendingPathComponent(name).standardizedFileURL
            guard candidate.path.hasScalarPrefix(root.path.hasSuffix("/") ? root.path : root.path + "/") else { continue }
            for path in [candidate.path] + Self.extensions.map({ candidate.path + $0 }) where Self.isFile(path) {
                return URL(fileURLWithPath: path)
            }
        }
        return nil
    }

    /// The directories with all their subdirectories, which ComfyUI searches for embeddings too.
    public func expandedDirectories() -> [URL] {
        var result: [URL] = []
        for directory in directories {
            result.append(directory)
            let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isDirectoryKey])
            while let url = enumerator?.nextObject() as? URL {
                if (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true { result.append(url) }
            }
        }
        return result
    }

    private static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}

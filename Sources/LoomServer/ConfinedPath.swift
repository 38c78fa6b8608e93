import Foundation

/// A file location inside a root folder, built from a client's `subfolder` and `filename`. Absolute paths,
/// `..` components and symbolic links that lead out of the root are refused, so a request can only reach files
/// under the folder it names.
struct ConfinedPath {
    let root: URL
    let directory: URL
    let filename: String

    var url: URL { directory.appendingPathComponent(filename, isDirectory: false) }

    init(root: URL, subfolder: String, filename: String) throws(ServerError) {
        guard Self.isPlainName(filename) else {
            throw .badRequest("invalid filename '\(filename.prefix(80))': it must be a plain file name, without folders or '..'")
        }
        let components = subfolder.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard filename.utf8.count <= Self.maximumNameBytes, subfolder.utf8.count <= Self.maximumSubfolderBytes,
            components.allSatisfy({ $0.utf8.count <= Self.maximumNameBytes })
        else {
            throw .badRequest(
                "the filename or subfolder is too long: at most \(Self.maximumNameBytes) bytes per name and \(Self.maximumSubfolderBytes) for the subfolder")
        }
        guard !subfolder.hasPrefix("/"), components.allSatisfy(Self.isPlainName) else {
            throw .forbidden("subfolder '\(subfolder)' leads outside the \(root.lastPathComponent) folder")
        }
        self.root = root
        self.filename = filename
        directory = components.reduce(root) { $0.appendingPathComponent($1, isDirectory: true) }
    }

    /// Checks, after resolving symbolic links, that the directory (once it exists) and the file (if it exists)
    /// lie inside the root.
    func checkContainment() throws(ServerError) {
        guard let realRoot = Self.realPath(root.path) else {
            throw .notFound("the \(root.lastPathComponent) folder does not exist")
        }
        for path in [directory.path, url.path] {
            guard let real = Self.realPath(path) else { continue }
            guard real == realRoot || real.hasPrefix(realRoot.hasSuffix("/") ? realRoot : realRoot + "/") else {
                throw .forbidden("'\(path)' leads outside the \(root.lastPathComponent) folder")
            }
        }
    }

    /// File systems take names of at most 255 bytes (NAME_MAX); paths stay well inside PATH_MAX.
    static let maximumNameBytes = 255
    static let maximumSubfolderBytes = 1024

    private static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && !name.contains("..") && !name.contains("/") && !name.contains("\\")
            && !name.contains("\0")
    }

    /// The canonical path with every symbolic link resolved; nil when nothing exists there.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

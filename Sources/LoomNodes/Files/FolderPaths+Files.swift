import Foundation
import LoomGraph

extension FolderPaths {
    /// The full path of `name` inside `root`, refusing names that could reach outside it:
    /// absolute paths, `..` components and symbolic links that lead out. The file need not exist.
    public func path(of name: String, inDirectory root: String, folderName: String) throws(FileNameError) -> String {
        func failure(_ problem: FileNameError.Problem) -> FileNameError {
            FileNameError(name: name, folder: folderName, problem: problem)
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard !name.contains("\0") else { throw failure(.invalidCharacter) }
        guard !name.hasPrefix("/") else { throw failure(.absolute) }
        guard !parts.contains("..") else { throw failure(.parentReference) }
        guard !parts.isEmpty else { throw failure(.empty) }
        let path = ([root] + parts.map(String.init)).joined(separator: "/")
        guard PathSyntax.isContained(path, in: root) else { throw failure(.escapesFolder) }
        return path
    }

    /// The path of an existing file named as ComfyUI's LoadImage names it: relative to the input folder,
    /// or to another storage folder when annotated with a ` [output]`, ` [input]` or ` [temp]` suffix.
    public func existingFile(annotated name: String, default folder: StorageFolder = .input)
        throws(FileNameError) -> String
    {
        let (plain, storage) = Self.splitAnnotation(name, default: folder)
        let path = try path(of: plain, inDirectory: directory(storage), folderName: storage.rawValue)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw FileNameError(name: plain, folder: storage.rawValue, problem: .missing)
        }
        return path
    }

    /// ComfyUI's annotated names: `name [output]` refers to the output folder, and so on.
    static func splitAnnotation(_ name: String, default folder: StorageFolder) -> (String, StorageFolder) {
        for storage in StorageFolder.allCases where name.hasSuffix(" [\(storage.rawValue)]") {
            return (String(name.dropLast(storage.rawValue.count + 3)), storage)
        }
        return (name, folder)
    }
}

extension FolderPaths: FileCatalog {
    /// File extensions Python's `mimetypes` calls images; ComfyUI's LoadImage lists these.
    static let imageExtensions: Set<String> = [
        "png", "jpg", "jpeg", "jpe", "jfif", "webp", "gif", "bmp", "tif", "tiff", "ico", "avif", "heic", "heif",
        "svg", "pbm", "pgm", "ppm", "pnm", "xbm", "xpm", "ras", "rgb", "ief", "xwd", "pct", "pic", "pict",
    ]

    /// `input`: the image files directly in the input folder, as LoadImage lists them, sorted by code point
    /// as Python sorts. Any other folder: what the model catalog lists.
    public func files(in folder: String) -> [String] {
        guard folder == StorageFolder.input.rawValue else { return models?.files(in: folder) ?? [] }
        return Self.regularFiles(in: input).filter { Self.hasExtension($0, in: Self.imageExtensions) }
            .sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
    }

    public func searchedLocations(for folder: String) -> [String] {
        if let storage = StorageFolder(rawValue: folder) { return [directory(storage)] }
        return models?.searchedLocations(for: folder) ?? []
    }

    static func hasExtension(_ name: String, in extensions: Set<String>) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return extensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// Names of the regular files (following links) directly in `directory`.
    static func regularFiles(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory)
                && !isDirectory.boolValue
        }
    }
}

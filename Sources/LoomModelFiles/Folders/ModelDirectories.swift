import Foundation
import LoomGraph

/// Where model files are looked for: per ComfyUI folder name, an ordered list of directories,
/// built from a models root and optionally ComfyUI's extra_model_paths.yaml. Loader nodes get
/// their combo options from it through `FileCatalog`.
public struct ModelDirectories: Sendable, Hashable, FileCatalog {
    /// Environment variable naming the models root when no command-line option does.
    public static let environmentVariable = "LOOM_MODELS_DIR"

    /// Canonical folder name → directories, searched in order.
    public private(set) var searchPaths: [String: [String]] = [:]

    public init() {}

    /// ComfyUI's layout under `modelsRoot` (e.g. `ComfyUI/models`).
    public init(modelsRoot: String) {
        for (folder, subfolders) in ModelFolder.defaultSubfolders {
            for subfolder in subfolders {
                add(directory: (modelsRoot as NSString).appendingPathComponent(subfolder), for: folder)
            }
        }
    }

    /// The models root from a command-line option, else `LOOM_MODELS_DIR`, else `fallback` (ComfyUI's `models`
    /// under its base directory).
    public static func modelsRoot(
        option: String?, environment: [String: String] = ProcessInfo.processInfo.environment, fallback: String = "models"
    ) -> String {
        option ?? environment[environmentVariable] ?? fallback
    }

    /// Adds a directory for a folder (legacy names accepted). `first` puts it ahead of the others,
    /// as ComfyUI's `is_default` does. A directory already listed is not added twice.
    public mutating func add(directory: String, for folder: String, first: Bool = false) {
        let name = ModelFolder.canonicalName(folder)
        let normalized = (directory as NSString).standardizingPath
        var paths = searchPaths[name, default: []]
        paths.removeAll { $0 == normalized }
        if first { paths.insert(normalized, at: 0) } else { paths.append(normalized) }
        searchPaths[name] = paths
    }

    public func searchedLocations(for folder: String) -> [String] {
        searchPaths[ModelFolder.canonicalName(folder)] ?? []
    }

    /// Model files in `folder`: relative names with `/` separators, recursive, sorted, first directory wins
    /// for names found in several. Hidden files and folders are skipped.
    public func files(in folder: String) -> [String] {
        Set(filesByLocation(in: folder).map(\.name)).sorted()
    }

    /// Model files in `folder` with the index in `searchedLocations(for:)` of the folder each was found in,
    /// folder by folder; a name present in several folders is listed for each.
    public func filesByLocation(in folder: String) -> [(location: Int, name: String)] {
        let extensions = ModelFolder.extensionViews[folder]?.extensions
        return searchedLocations(for: folder).enumerated().flatMap { location, directory in
            Self.listFiles(under: directory).sorted()
                .filter { extensions?.contains(($0 as NSString).pathExtension.lowercased()) ?? true }
                .map { (location, $0) }
        }
    }

    /// The path of a listed file, or an error naming the folders searched. Names that are absolute or
    /// contain `..` are refused, so a workflow cannot reach files outside the model folders.
    public func path(of name: String, in folder: String) throws(ModelFileError) -> String {
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains("\\"), !components.contains(where: { $0 == ".." || $0.isEmpty }) else {
            throw ModelFileError(.notFound, path: name, "not a valid model name (it must be a relative path inside a model folder)")
        }
        for directory in searchedLocations(for: folder) {
            let candidate = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
        }
        let searched = searchedLocations(for: folder)
        throw ModelFileError(.notFound, path: name, "not found in \(folder) (searched \(searched.isEmpty ? "no folders" : searched.joined(separator: ", ")))")
    }

    /// Recursive listing following symbolic links, guarded against link cycles and runaway depth.
    static func listFiles(under root: String) -> [String] {
        var results: [String] = []
        var visited: Set<String> = []
        func walk(_ directory: String, relative: String, depth: Int) {
            let resolved = (directory as NSString).resolvingSymlinksInPath
            guard depth < 32, visited.insert(resolved).inserted,
                  let names = try? FileManager.default.contentsOfDirectory(atPath: directory)
            else { return }
            for name in names where !name.hasPrefix(".") {
                let path = (directory as NSString).appendingPathComponent(name)
                let relativeName = relative.isEmpty ? name : relative + "/" + name
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    walk(path, relative: relativeName, depth: depth + 1)
                } else if ModelFolder.fileExtensions.contains((name as NSString).pathExtension.lowercased()) {
                    results.append(relativeName)
                }
            }
        }
        walk(root, relative: "", depth: 0)
        return results
    }
}

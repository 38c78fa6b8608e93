import Foundation
import Yams

/// ComfyUI's extra_model_paths.yaml: named sections, each with an optional `base_path`, an optional
/// `is_default`, and folder names mapped to one path or several (one per line of a block scalar).
/// Relative paths resolve against `base_path`, else against the YAML file's own directory.
extension ModelDirectories {
    /// ComfyUI's layout under `modelsRoot`, then each extra_model_paths.yaml in order: what a
    /// `--models-dir` / `LOOM_MODELS_DIR` setting plus `--extra-model-paths-config` files amount to.
    public init(
        modelsRoot: String, extraModelPathsFiles: [String], environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ModelFileError) {
        self.init(modelsRoot: modelsRoot)
        for file in extraModelPathsFiles {
            try addExtraModelPaths(fromFile: file, environment: environment)
        }
    }

    public mutating func addExtraModelPaths(fromFile path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ModelFileError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ModelFileError(.unreadable, path: path, "cannot read the file (\(error.localizedDescription))")
        }
        try addExtraModelPaths(yaml: text, configDirectory: (path as NSString).deletingLastPathComponent, source: path, environment: environment)
    }

    public mutating func addExtraModelPaths(
        yaml text: String, configDirectory: String, source: String = "extra_model_paths.yaml",
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ModelFileError) {
        // Composed rather than loaded so sections and folders keep file order, which decides search order.
        let document: Node?
        do {
            document = try Yams.compose(yaml: text)
        } catch {
            throw ModelFileError(.corrupt, path: source, "not valid YAML: \(error)")
        }
        guard let document, document.null == nil else { return }
        guard let sections = document.mapping else {
            throw ModelFileError(.corrupt, path: source, "the top level must map section names to settings")
        }
        for (sectionKey, sectionNode) in sections {
            let sectionName = sectionKey.string ?? "?"
            guard sectionNode.null == nil else { continue }
            guard let section = sectionNode.mapping else {
                throw ModelFileError(.corrupt, path: source, "section \"\(sectionName)\" is not a mapping")
            }
            var basePath: String?
            var isDefault = false
            var folders: [(name: String, paths: String)] = []
            for (key, value) in section {
                let name = key.string ?? "?"
                switch name {
                case "base_path":
                    guard let base = value.string else {
                        throw ModelFileError(.corrupt, path: source, "\(sectionName).base_path is not a string")
                    }
                    let expanded = Self.expand(base, environment: environment)
                    basePath = expanded.hasPrefix("/") ? expanded : (configDirectory as NSString).appendingPathComponent(expanded)
                case "is_default":
                    isDefault = value.bool ?? false
                default:
                    guard case .scalar = value, let paths = value.string else {
                        throw ModelFileError(.corrupt, path: source, "\(sectionName).\(name) must be a path or lines of paths")
                    }
                    folders.append((name, paths))
                }
            }
            for (folder, paths) in folders {
                for line in paths.split(separator: "\n") {
                    let entry = Self.expand(line.trimmingCharacters(in: .whitespaces), environment: environment)
                    guard !entry.isEmpty else { continue }
                    let full = entry.hasPrefix("/") ? entry : ((basePath ?? configDirectory) as NSString).appendingPathComponent(entry)
                    add(directory: full, for: folder, first: isDefault)
                }
            }
        }
    }

    /// `~`, `$NAME` and `${NAME}` as Python's expanduser/expandvars do; unknown variables stay as written.
    static func expand(_ text: String, environment: [String: String]) -> String {
        var result = ""
        var rest = Substring(text)
        if rest == "~" || rest.hasPrefix("~/"), let home = environment["HOME"] {
            result = home
            rest = rest.dropFirst()
        }
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            var after = rest[rest.index(after: dollar)...]
            let braced = after.first == "{"
            if braced { after = after.dropFirst() }
            let name = after.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            let closed = !braced || after.dropFirst(name.count).first == "}"
            if !name.isEmpty, closed, let value = environment[String(name)] {
                result += value
                rest = after.dropFirst(name.count + (braced ? 1 : 0))
            } else {
                result += "$"
                rest = rest[rest.index(after: dollar)...]
            }
        }
        return result + rest
    }
}

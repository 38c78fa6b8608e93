import Foundation

/// Path-string helpers with Python's `os.path` meaning, for ComfyUI-compatible names.
enum PathSyntax {
    static func absolute(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return normalized(joined)
    }

    /// `os.path.normpath` on POSIX: collapses `//`, `.` and `a/..`; keeps leading `..` of relative paths.
    static func normalized(_ path: String) -> String {
        let isAbsolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !isAbsolute {
                    parts.append(part)
                }
                continue
            }
            parts.append(part)
        }
        let body = parts.joined(separator: "/")
        if isAbsolute { return "/" + body }
        return body.isEmpty ? "." : body
    }

    /// `os.path.dirname` and `os.path.basename` of a normalised relative path.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    /// The path with symbolic links resolved, or nil when it does not exist.
    static func resolvingLinks(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether `path` is `root` or lies under it, after resolving the links of both
    /// (for paths not yet created, those of their nearest existing ancestors).
    static func isContained(_ path: String, in root: String) -> Bool {
        guard let resolvedRoot = resolvingExistingPart(root), let resolved = resolvingExistingPart(path) else {
            return false
        }
        return resolved == resolvedRoot || resolved.hasPrefix(resolvedRoot == "/" ? "/" : resolvedRoot + "/")
    }

    /// The absolute `path` with the links of its longest existing prefix resolved.
    static func resolvingExistingPart(_ path: String) -> String? {
        var existing = normalized(path)
        var rest: [String] = []
        while resolvingLinks(existing) == nil {
            // A link that leads nowhere would be followed once its target is created: refuse it.
            var status = stat()
            if lstat(existing, &status) == 0 { return nil }
            let (directory, name) = split(existing)
            guard !directory.isEmpty, directory != existing else { return nil }
            rest.insert(name, at: 0)
            existing = directory
        }
        guard let resolved = resolvingLinks(existing) else { return nil }
        return ([resolved] + rest).joined(separator: "/").replacingOccurrences(of: "//", with: "/")
    }
}

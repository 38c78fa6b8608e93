import Foundation
import Loom

/// The single user's files as ComfyUI's frontend stores them: `comfy.settings.json` and any files it saves
/// (workflows, templates) under `<user directory>/default`. An actor, so concurrent settings writes do not
/// lose each other's keys.
actor UserDataStore {
    let root: URL

    init(userDirectory: URL) {
        root = userDirectory.appendingPathComponent("default", isDirectory: true)
    }

    private var settingsFile: URL { root.appendingPathComponent("comfy.settings.json") }
    private var usersFile: URL { root.deletingLastPathComponent().appendingPathComponent("users.json") }

    /// `POST /users` as ComfyUI answers it without `--multi-user`: the name gets an id — its ASCII letters, digits,
    /// '-' and '_' (other runs become '-'), '_', a UUID — recorded with the default user in `users.json`;
    /// requests still act as the one default user. A name already taken is ComfyUI's 400.
    func addUser(_ name: String) throws(ServerError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .badRequest("username must not be empty") }
        var users: JSONObject = ["default": "default"]
        if let bytes = FileManager.default.contents(atPath: usersFile.path),
            let stored = try? JSONValue(parsing: [UInt8](bytes)).objectValue
        {
            for (id, value) in stored { users[id] = value }
        }
        guard !users.contains(where: { $0.value == .string(name) || $0.value == .string(trimmed) }) else {
            throw ServerError(status: .badRequest, body: ["error": "Duplicate username."])
        }
        var id = ""
        var replacing = false
        for scalar in trimmed.unicodeScalars {
            let kept = scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_")
            if kept { id.unicodeScalars.append(scalar) } else if !replacing { id += "-" }
            replacing = !kept
        }
        id += "_" + UUID().uuidString.lowercased()
        users[id] = .string(trimmed)
        try write(Data(JSONValue.object(users).jsonText(indent: nil).utf8), to: usersFile)
        return id
    }

    func settings() -> JSONObject {
        guard let bytes = FileManager.default.contents(atPath: settingsFile.path),
            let object = try? JSONValue(parsing: [UInt8](bytes)).objectValue
        else { return [:] }
        return object
    }

    /// Sets each key of `changes`, keeping the others.
    func updateSettings(_ changes: JSONObject) throws(ServerError) {
        var merged = settings()
        for (key, value) in changes { merged[key] = value }
        try write(Data(JSONValue.object(merged).jsonText(indent: 4).utf8), to: settingsFile)
    }

    /// A path below the user folder from a client's relative path; '..' and absolute paths are refused.
    func file(_ relativePath: String) throws(ServerError) -> ConfinedPath {
        var components = relativePath.split(separator: "/").map(String.init)
        guard let filename = components.popLast() else { throw .badRequest("a file path is required") }
        let path = try ConfinedPath(root: root, subfolder: components.joined(separator: "/"), filename: filename)
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try path.checkContainment()
        return path
    }

    /// Files under `directory`, as paths relative to it with '/' separators; nil when the folder does not exist.
    func list(directory: String, recurse: Bool) throws(ServerError) -> [UserFile]? {
        let folder = directory.isEmpty ? root : try file(directory).url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
        else { return nil }
        let enumerator = FileManager.default.enumerator(
            at: folder, includingPropertiesForKeys: UserFile.resourceKeys,
            options: recurse ? [] : [.skipsSubdirectoryDescendants])
        guard let enumerator else { return nil }
        var files: [UserFile] = []
        let prefix = folder.resolvingSymlinksInPath().path + "/"
        for case let url as URL in enumerator {
            let values = try? url.resourceValues(forKeys: Set(UserFile.resourceKeys))
            guard values?.isRegularFile == true else { continue }
            let path = url.resolvingSymlinksInPath().path
            guard path.hasPrefix(prefix) else { continue }
            files.append(UserFile(path: String(path.dropFirst(prefix.count)), values: values))
        }
        return files.sorted { $0.path < $1.path }
    }

    /// `GET /v2/userdata`: every folder and file below `directory` (the user folder when empty), with paths
    /// relative to the user folder, folders first, then by name ignoring case, as ComfyUI sorts them. Empty
    /// when the user folder itself does not exist yet; nil when `directory` does not exist.
    func entries(under directory: String) throws(ServerError) -> [UserEntry]? {
        let folder = directory.isEmpty ? root : try file(directory).url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) else {
            return directory.isEmpty ? [] : nil
        }
        guard isDirectory.boolValue else { throw .badRequest("'\(directory)' is not a directory") }
        let keys = UserFile.resourceKeys + [.isDirectoryKey]
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: keys) else {
            return []
        }
        let prefix = root.resolvingSymlinksInPath().path + "/"
        var entries: [UserEntry] = []
        for case let url as URL in enumerator {
            let values = try? url.resourceValues(forKeys: Set(keys))
            let path = url.resolvingSymlinksInPath().path
            guard path.hasPrefix(prefix) else { continue }
            let relative = String(path.dropFirst(prefix.count))
            if values?.isDirectory == true {
                entries.append(UserEntry(name: url.lastPathComponent, file: nil, directoryPath: relative))
            } else if values?.isRegularFile == true {
                entries.append(
                    UserEntry(name: url.lastPathComponent, file: UserFile(path: relative, values: values), directoryPath: nil))
            }
        }
        return entries.sorted {
            ($0.file != nil ? 1 : 0, $0.name.lowercased()) < ($1.file != nil ? 1 : 0, $1.name.lowercased())
        }
    }

    func write(_ data: Data, to url: URL) throws(ServerError) {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw ServerError(
                status: .internalServerError, body: ["error": .string("cannot write \(url.lastPathComponent)")])
        }
    }
}

/// One file of a `GET /userdata` listing: its path relative to the listed folder, size, and modification and
/// creation times (seconds since 1970).
struct UserFile: Sendable {
    static let resourceKeys: [URLResourceKey] = [
        .isRegularFileKey, .fileSizeKey, .contentModificationDateKey, .creationDateKey,
    ]

    var path: String
    var size: Int
    var modified: Double
    var created: Double

    init(path: String, values: URLResourceValues?) {
        self.path = path
        size = values?.fileSize ?? 0
        modified = values?.contentModificationDate?.timeIntervalSince1970 ?? 0
        // Where the file system keeps no creation time, the modification time stands in.
        created = values?.creationDate?.timeIntervalSince1970 ?? modified
    }

    /// ComfyUI's `full_info` shape.
    var json: JSONValue {
        ["path": .string(path), "size": .int(size), "modified": .double(modified), "created": .double(created)]
    }
}

/// One entry of a `GET /v2/userdata` listing: a folder, or a file with its size and modification time.
struct UserEntry: Sendable {
    var name: String
    var file: UserFile?
    var directoryPath: String?

    var json: JSONValue {
        guard let file else {
            return ["name": .string(name), "path": .string(directoryPath ?? name), "type": "directory"]
        }
        return [
            "name": .string(name), "path": .string(file.path), "type": "file", "size": .int(file.size),
            "modified": .double(file.modified),
        ]
    }
}

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
            at: folder, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey, .contentModificationDateKey],
            options: recurse ? [] : [.skipsSubdirectoryDescendants])
        guard let enumerator else { return nil }
        var files: [UserFile] = []
        let prefix = folder.resolvingSymlinksInPath().path + "/"
        for case let url as URL in enumerator {
            let values = try? url.resourceValues(forKeys: [
                .isRegularFileKey, .fileSizeKey, .contentModificationDateKey,
            ])
            guard values?.isRegularFile == true else { continue }
            let path = url.resolvingSymlinksInPath().path
            guard path.hasPrefix(prefix) else { continue }
            files.append(
                UserFile(
                    path: String(path.dropFirst(prefix.count)), size: values?.fileSize ?? 0,
                    modified: values?.contentModificationDate?.timeIntervalSince1970 ?? 0))
        }
        return files.sorted { $0.path < $1.path }
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

/// One file of a `GET /userdata` listing: its path relative to the listed folder, size and modification time.
struct UserFile: Sendable {
    var path: String
    var size: Int
    var modified: Double
}

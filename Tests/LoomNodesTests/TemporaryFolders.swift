import Foundation
import LoomNodes

/// A fresh ComfyUI-style base directory under the system temp folder, removed by `remove()`.
struct TemporaryFolders {
    let folders: FolderPaths

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString)").path
        folders = FolderPaths(base: base)
        for directory in [folders.input, folders.output, folders.temp] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: folders.base) }

    func write(_ bytes: [UInt8], to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}

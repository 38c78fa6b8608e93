import Foundation
import LoomModelFiles

/// The model fixtures in Tests/Fixtures/models by the names tests use. A model committed only as
/// `<name>-parts.safetensors` (see `SafetensorsParts`; its `copied_from_file` metadata names the source next to it)
/// is put together once per test process in a scratch folder.
public enum CommittedModels {
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models").path

    private static let lock = NSLock()
    nonisolated(unsafe) private static var assembled: [String: String] = [:]
    private static let scratch = NSTemporaryDirectory() + "loom-composed-models-\(ProcessInfo.processInfo.processIdentifier)"

    /// The readable path of `name` (relative to Tests/Fixtures/models, e.g. `sd/sd15-inpaint-unet-tiny.safetensors`).
    public static func path(_ name: String) throws -> String {
        let committed = directory + "/" + name
        guard name.hasSuffix(".safetensors") else { return committed }
        let parts = String(committed.dropLast(".safetensors".count)) + "-parts.safetensors"
        guard !FileManager.default.fileExists(atPath: committed), FileManager.default.fileExists(atPath: parts) else {
            return committed
        }
        lock.lock()
        defer { lock.unlock() }
        if let path = assembled[name] { return path }
        let partsFile = try ModelFile.open(path: parts)
        guard let source = partsFile.metadata["copied_from_file"]?.stringValue else {
            throw SafetensorsParts.Missing(description: "\(parts) has no copied_from_file metadata")
        }
        if assembled.isEmpty { atexit { try? FileManager.default.removeItem(atPath: CommittedModels.scratch) } }
        let path = scratch + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try SafetensorsParts.assemble(parts, source: (parts as NSString).deletingLastPathComponent + "/" + source, to: path)
        assembled[name] = path
        return path
    }
}

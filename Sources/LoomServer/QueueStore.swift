import Foundation
import Loom

/// The queue and the history on disk: one JSON file per prompt, each written atomically (a temporary file renamed
/// into place), so a server that stops — or crashes — resumes its queued prompts and keeps its history.
///
/// `pending/<prompt_id>.json` holds a prompt until it finishes, including while it runs, so one that was running
/// when the server stopped runs again; `history/<prompt_id>.json` holds a finished prompt. `sequence` keeps order,
/// and `attempts` counts the runs that started, written before each run begins, so a prompt that crashes the
/// process is seen as such after the restart.
public struct QueueStore: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    var pendingDirectory: URL { directory.appendingPathComponent("pending", isDirectory: true) }
    var historyDirectory: URL { directory.appendingPathComponent("history", isDirectory: true) }

    func savePending(_ item: QueuedPrompt, sequence: Int, attempts: Int = 0) throws(QueueStoreError) {
        try write(
            ["sequence": .int(sequence), "item": item.json, "attempts": .int(attempts)], to: pendingDirectory, id: item.id)
    }

    func saveHistory(_ entry: HistoryEntry, sequence: Int) throws(QueueStoreError) {
        try write(["sequence": .int(sequence), "entry": entry.json], to: historyDirectory, id: entry.prompt.id)
    }

    func removePending(_ id: String) {
        try? FileManager.default.removeItem(at: pendingDirectory.appendingPathComponent(Self.fileName(id)))
    }

    func removeHistory(_ id: String) {
        try? FileManager.default.removeItem(at: historyDirectory.appendingPathComponent(Self.fileName(id)))
    }

    /// Pending prompts and history entries with their sequence numbers; files that cannot be read are reported,
    /// not fatal, so one damaged file never keeps the server from starting.
    func load() -> (
        pending: [(sequence: Int, item: QueuedPrompt, attempts: Int)], history: [(sequence: Int, entry: HistoryEntry)],
        problems: [String]
    ) {
        var problems: [String] = []
        let pending = records(in: pendingDirectory, problems: &problems) { json throws(QueueStoreError) in
            (try QueuedPrompt(json: json["item"] ?? .null), json["attempts"]?.intValue ?? 0)
        }
        let history = records(in: historyDirectory, problems: &problems) { json throws(QueueStoreError) in
            try HistoryEntry(json: json["entry"] ?? .null)
        }
        return (pending.map { ($0.0, $0.1.0, $0.1.1) }, history.map { ($0.0, $0.1) }, problems)
    }

    private func records<T>(
        in folder: URL, problems: inout [String], decode: (JSONValue) throws(QueueStoreError) -> T
    ) -> [(Int, T)] {
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        var records: [(Int, T)] = []
        for file in files where file.pathExtension == "json" {
            do {
                let json = try JSONValue(parsing: Array(try Data(contentsOf: file)))
                guard let sequence = json["sequence"]?.intValue else { throw QueueStoreError("no sequence number") }
                records.append((sequence, try decode(json)))
            } catch {
                problems.append("\(file.path): \(error)")
            }
        }
        return records.sorted { $0.0 < $1.0 }
    }

    private func write(_ record: JSONValue, to folder: URL, id: String) throws(QueueStoreError) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(record.jsonText(indent: nil).utf8).write(
                to: folder.appendingPathComponent(Self.fileName(id)), options: .atomic)
        } catch {
            throw QueueStoreError("cannot save prompt \(id) in \(folder.path): \(error.localizedDescription)")
        }
    }

    /// Prompt ids are UUIDs; anything else is hex-encoded so an id can never name a path.
    static func fileName(_ id: String) -> String {
        let safe =
            !id.isEmpty
            && id.utf8.allSatisfy { $0 == UInt8(ascii: "-") || ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) }
        return (safe ? id : "x" + id.utf8.map { String(format: "%02x", $0) }.joined()) + ".json"
    }
}

import Crypto
import Foundation
import Synchronization

/// Node outputs kept on disk between processes, keyed by signature, so re-running a saved workflow after
/// editing one widget re-executes only what changed.
///
/// Each entry is one file: a magic tag, a JSON header describing the values, the encoded values, and a SHA-256
/// of all of it. Files are written under a temporary name and renamed into place, so concurrent processes never
/// see half an entry; an entry that fails its checksum is deleted and recomputed, never returned.
public final class DiskOutputStore: Sendable {
    public let directory: URL
    public let byteLimit: Int
    private let codecs: DiskCacheCodecs
    /// Bytes on disk as this process knows them; nil until first measured.
    private let knownBytes = Mutex<Int?>(nil)

    static let magic = Array("LOOMOUT1".utf8)
    static let fileExtension = "loomcache"

    public init(directory: URL, byteLimit: Int = 4 << 30, codecs: DiskCacheCodecs = DiskCacheCodecs()) {
        self.directory = directory
        self.byteLimit = byteLimit
        self.codecs = codecs
    }

    /// `~/.cache/loom/outputs`, or `$LOOM_CACHE_DIR/outputs`, or under `$XDG_CACHE_HOME`.
    public static var defaultDirectory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let root = environment["LOOM_CACHE_DIR"], !root.isEmpty {
            return URL(fileURLWithPath: root).appendingPathComponent("outputs")
        }
        let base = environment["XDG_CACHE_HOME"].map(URL.init(fileURLWithPath:))
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("loom/outputs")
    }

    func url(for signature: Signature) -> URL {
        let name = signature.description
        return directory.appendingPathComponent(String(name.prefix(2)))
            .appendingPathComponent("\(name).\(Self.fileExtension)")
    }

    public func contains(_ signature: Signature) -> Bool {
        FileManager.default.fileExists(atPath: url(for: signature).path)
    }

    public func load(_ signature: Signature) -> NodeOutput? {
        let file = url(for: signature)
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        do {
            let output = try decode(Array(data), expecting: signature)
            // Reading refreshes the entry's age, so eviction drops the least recently used across processes.
            try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: file.path)
            return output
        } catch {
            try? FileManager.default.removeItem(at: file)
            return nil
        }
    }

    /// Writes the output if every value can be encoded; returns whether it was written.
    @discardableResult
    public func save(_ output: NodeOutput, for signature: Signature) -> Bool {
        guard let bytes = try? encode(output, signature: signature) else { return false }
        let file = url(for: signature)
        let temporary = directory.appendingPathComponent("tmp-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: temporary)
            guard rename(temporary.path, file.path) == 0 else {
                try? FileManager.default.removeItem(at: temporary)
                return false
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            return false
        }
        let total = knownBytes.withLock { known -> Int in
            let total = (known ?? measuredBytes()) + bytes.count
            known = total
            return total
        }
        if total > byteLimit { trim() }
        return true
    }

    public func clear() throws {
        if FileManager.default.fileExists(atPath: directory.path) {
            try FileManager.default.removeItem(at: directory)
        }
        knownBytes.withLock { $0 = 0 }
    }

    public var statistics: CacheStatistics {
        let files = entries()
        return CacheStatistics(entries: files.count, bytes: files.reduce(0) { $0 + $1.bytes })
    }

    // MARK: Size bound

    private struct FileEntry {
        var url: URL
        var bytes: Int
        var modified: Date
    }

    private func entries() -> [FileEntry] {
        let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey]
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: keys) else { return [] }
        var result: [FileEntry] = []
        for case let url as URL in enumerator where url.pathExtension == Self.fileExtension {
            let values = try? url.resourceValues(forKeys: Set(keys))
            result.append(FileEntry(url: url, bytes: values?.fileSize ?? 0, modified: values?.contentModificationDate ?? .distantPast))
        }
        return result
    }

    private func measuredBytes() -> Int { entries().reduce(0) { $0 + $1.bytes } }

    /// Deletes the least recently used entries until the store is at 90% of its limit.
    private func trim() {
        var files = entries().sorted { $0.modified < $1.modified }
        var total = files.reduce(0) { $0 + $1.bytes }
        let target = byteLimit / 10 * 9
        while total > target, !files.isEmpty {
            let oldest = files.removeFirst()
            try? FileManager.default.removeItem(at: oldest.url)
            total -= oldest.bytes
        }
        knownBytes.withLock { $0 = total }
    }

    // MARK: Encoding

    func encode(_ output: NodeOutput, signature: Signature) throws -> [UInt8] {
        var payload: [UInt8] = []
        var slots: [JSONValue] = []
        for slot in output.slots {
            var described: [JSONValue] = []
            for value in slot {
                guard let cacheable = value as? any DiskCacheable else { throw DiskCacheDecodingError("not cacheable") }
                let bytes = try cacheable.diskCacheEncoding()
                described.append(["type": .string(type(of: cacheable).diskCacheTypeName), "length": .int(bytes.count)])
                payload += bytes
            }
            slots.append(.array(described))
        }
        let header: JSONValue = [
            "signature": .string(signature.description), "slots": .array(slots), "ui": output.ui.map(JSONValue.object) ?? .null,
        ]
        let headerBytes = Array(header.jsonText(indent: nil).utf8)
        var file = Self.magic
        file += withUnsafeBytes(of: UInt32(headerBytes.count).littleEndian, Array.init)
        file += headerBytes
        file += payload
        file += Array(SHA256.hash(data: file))
        return file
    }

    func decode(_ file: [UInt8], expecting signature: Signature) throws -> NodeOutput {
        let minimum = Self.magic.count + 4 + SHA256.byteCount
        guard file.count >= minimum, file.starts(with: Self.magic) else { throw DiskCacheDecodingError("not a cache entry") }
        let body = file[..<(file.count - SHA256.byteCount)]
        guard Array(SHA256.hash(data: Array(body))) == Array(file.suffix(SHA256.byteCount)) else {
            throw DiskCacheDecodingError("checksum mismatch")
        }
        let headerStart = Self.magic.count + 4
        let headerLength = Int(file[8]) | Int(file[9]) << 8 | Int(file[10]) << 16 | Int(file[11]) << 24
        guard headerStart + headerLength <= body.count else { throw DiskCacheDecodingError("header past the end") }
        let header = try JSONValue(parsing: Array(file[headerStart..<headerStart + headerLength]))
        guard header["signature"]?.stringValue == signature.description, let slots = header["slots"]?.arrayValue else {
            throw DiskCacheDecodingError("entry is for another signature")
        }
        var offset = headerStart + headerLength
        var decoded: [[NodeValue]] = []
        for slot in slots {
            var values: [NodeValue] = []
            for value in slot.arrayValue ?? [] {
                guard let name = value["type"]?.stringValue, let length = value["length"]?.intValue, length >= 0,
                    offset + length <= body.count, let type = codecs.type(named: name)
                else { throw DiskCacheDecodingError("unreadable value") }
                values.append(try type.init(diskCacheEncoding: Array(file[offset..<offset + length])))
                offset += length
            }
            decoded.append(values)
        }
        guard offset == body.count else { throw DiskCacheDecodingError("trailing bytes") }
        return NodeOutput(slots: decoded, ui: header["ui"]?.objectValue)
    }
}

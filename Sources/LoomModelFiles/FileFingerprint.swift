import Crypto
import Foundation

/// Identifies a model file's contents for caches without hashing gigabytes: size, modification time
/// and a SHA-256 of the first and last mebibyte (the header, which lists every tensor, and the tail).
/// The modification time is part of the identity: retrained weights of the same shapes keep the header
/// and may keep the tail, and only the time tells the file was rewritten.
public struct FileFingerprint: Sendable, Hashable, CustomStringConvertible {
    public let size: Int
    public let modificationTime: Double
    public let digest: String

    static let sampleSize = 1 << 20

    public init(path: String) throws(ModelFileError) {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw ModelFileError(.unreadable, path: path, "cannot read the file's attributes (\(error.localizedDescription))")
        }
        let file = try MappedFile(path: path)
        size = file.size
        modificationTime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        var hasher = SHA256()
        withUnsafeBytes(of: UInt64(file.size).littleEndian) { hasher.update(bufferPointer: $0) }
        withExtendedLifetime(file) {
            hasher.update(bufferPointer: file.bytes(in: 0..<min(file.size, Self.sampleSize)))
            hasher.update(bufferPointer: file.bytes(in: max(0, file.size - Self.sampleSize)..<file.size))
        }
        digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public var description: String { "\(digest.prefix(16))-\(size)-\(modificationTime)" }
}

/// A value that can be written to the on-disk output cache and read back in another process.
public protocol DiskCacheable: Sendable {
    /// A stable name for the type in cache files.
    static var diskCacheTypeName: String { get }
    func diskCacheEncoding() throws -> [UInt8]
    init(diskCacheEncoding bytes: [UInt8]) throws
}

public struct DiskCacheDecodingError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The value types the disk cache knows, by their `diskCacheTypeName`. Layers above the graph add theirs
/// (images, masks, latents, conditionings).
public struct DiskCacheCodecs: Sendable {
    private var types: [String: any DiskCacheable.Type] = [:]

    public init() {
        for type: any DiskCacheable.Type in [Int.self, Double.self, String.self, Bool.self, JSONValue.self] {
            register(type)
        }
    }

    public mutating func register(_ type: any DiskCacheable.Type) {
        types[type.diskCacheTypeName] = type
    }

    public func type(named name: String) -> (any DiskCacheable.Type)? { types[name] }
}

extension Int: DiskCacheable {
    public static var diskCacheTypeName: String { "int" }
    public func diskCacheEncoding() throws -> [UInt8] { Array(String(self).utf8) }
    public init(diskCacheEncoding bytes: [UInt8]) throws {
        guard let value = Int(String(decoding: bytes, as: UTF8.self)) else { throw DiskCacheDecodingError("not an integer") }
        self = value
    }
}

extension Double: DiskCacheable {
    public static var diskCacheTypeName: String { "float" }
    public func diskCacheEncoding() throws -> [UInt8] { withUnsafeBytes(of: bitPattern.littleEndian, Array.init) }
    public init(diskCacheEncoding bytes: [UInt8]) throws {
        guard bytes.count == 8 else { throw DiskCacheDecodingError("a float takes 8 bytes") }
        self.init(bitPattern: bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
    }
}

extension String: DiskCacheable {
    public static var diskCacheTypeName: String { "string" }
    public func diskCacheEncoding() throws -> [UInt8] { Array(utf8) }
    public init(diskCacheEncoding bytes: [UInt8]) throws { self = String(decoding: bytes, as: UTF8.self) }
}

extension Bool: DiskCacheable {
    public static var diskCacheTypeName: String { "bool" }
    public func diskCacheEncoding() throws -> [UInt8] { [self ? 1 : 0] }
    public init(diskCacheEncoding bytes: [UInt8]) throws {
        guard bytes.count == 1, bytes[0] <= 1 else { throw DiskCacheDecodingError("not a boolean") }
        self = bytes[0] == 1
    }
}

extension JSONValue: DiskCacheable {
    public static var diskCacheTypeName: String { "json" }
    public func diskCacheEncoding() throws -> [UInt8] { Array(jsonText(indent: nil).utf8) }
    public init(diskCacheEncoding bytes: [UInt8]) throws { try self.init(parsing: bytes) }
}

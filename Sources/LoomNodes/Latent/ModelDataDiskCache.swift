import LoomGraph
import LoomModels

/// Latents and conditionings in the on-disk output cache, so a workflow run again in a new process skips
/// text encoding and sampling whose inputs did not change. Little-endian throughout: tensors as a rank,
/// the dimensions and the float32 values; optional parts behind a presence byte.
extension Latent: DiskCacheable {
    public static var diskCacheTypeName: String { "latent" }

    public func diskCacheEncoding() throws -> [UInt8] {
        var writer = CacheWriter()
        writer.tensor(samples)
        writer.optional(noiseMask) { $0.tensor($1) }
        writer.optional(batchIndex) { writer, indices in
            writer.integer(indices.count)
            for index in indices { writer.integer(index) }
        }
        return writer.bytes
    }

    public init(diskCacheEncoding bytes: [UInt8]) throws {
        var reader = CacheReader(bytes, type: Self.diskCacheTypeName)
        let samples = try reader.tensor()
        let noiseMask = try reader.optional { try $0.tensor() }
        let batchIndex = try reader.optional { reader in try (0..<reader.count()).map { _ in try reader.integer() } }
        try reader.finish()
        self.init(samples: samples, noiseMask: noiseMask, batchIndex: batchIndex)
    }
}

extension Conditioning: DiskCacheable {
    public static var diskCacheTypeName: String { "conditioning" }

    public func diskCacheEncoding() throws -> [UInt8] {
        // A ControlNet is a loaded model: a conditioning that carries one stays in memory only.
        if entries.contains(where: { $0.control != nil }) { throw DiskCacheDecodingError("a conditioning with a ControlNet is not stored on disk") }
        var writer = CacheWriter()
        writer.integer(entries.count)
        for entry in entries {
            writer.tensor(entry.crossAttention)
            writer.optional(entry.pooledOutput) { $0.tensor($1) }
            writer.optional(entry.guidance) { $0.double($1) }
            writer.optional(entry.concatLatentImage) { $0.tensor($1) }
            writer.optional(entry.concatMask) { $0.tensor($1) }
            writer.optional(entry.attentionMask) { writer, mask in
                writer.integer(mask.textSegments.count)
                for length in mask.textSegments { writer.integer(length) }
                writer.tensor(HostTensor(shape: [mask.bias.count, mask.bias.count], values: mask.bias.flatMap { $0 }))
            }
        }
        return writer.bytes
    }

    public init(diskCacheEncoding bytes: [UInt8]) throws {
        var reader = CacheReader(bytes, type: Self.diskCacheTypeName)
        let entries = try (0..<reader.count()).map { _ in
            var entry = Entry(crossAttention: try reader.tensor())
            entry.pooledOutput = try reader.optional { try $0.tensor() }
            entry.guidance = try reader.optional { try $0.double() }
            entry.concatLatentImage = try reader.optional { try $0.tensor() }
            entry.concatMask = try reader.optional { try $0.tensor() }
            entry.attentionMask = try reader.optional { reader in
                let segments = try (0..<reader.count()).map { _ in try reader.count() }
                let bias = try reader.tensor()
                let side = bias.shape.first ?? 0
                guard bias.rank == 2, let mask = JointAttentionMask(
                    textSegments: segments, bias: (0..<side).map { Array(bias.values[($0 * side)..<(($0 + 1) * side)]) })
                else { throw DiskCacheDecodingError("a cached conditioning has an attention mask of \(segments.count) segments and \(bias.shape) values") }
                return mask
            }
            return entry
        }
        try reader.finish()
        self.init(entries)
    }
}

struct CacheWriter {
    private(set) var bytes: [UInt8] = []

    mutating func integer(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func double(_ value: Double) { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func tensor(_ tensor: HostTensor) {
        integer(tensor.rank)
        for dimension in tensor.shape { integer(dimension) }
        bytes.reserveCapacity(bytes.count + tensor.count * 4)
        for value in tensor.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
    }

    mutating func optional<T>(_ value: T?, _ write: (inout CacheWriter, T) -> Void) {
        bytes.append(value == nil ? 0 : 1)
        if let value { write(&self, value) }
    }
}

struct CacheReader {
    private let bytes: [UInt8]
    private let type: String
    private var offset = 0

    init(_ bytes: [UInt8], type: String) {
        self.bytes = bytes
        self.type = type
    }

    private mutating func word() throws -> UInt64 {
        guard offset + 8 <= bytes.count else { throw DiskCacheDecodingError("a cached \(type) ends early") }
        defer { offset += 8 }
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }

    mutating func integer() throws -> Int { Int(Int64(bitPattern: try word())) }
    mutating func double() throws -> Double { Double(bitPattern: try word()) }

    /// A count or dimension: never negative, never more than the bytes left could describe.
    mutating func count() throws -> Int {
        let value = try integer()
        guard value >= 0, value <= bytes.count else { throw DiskCacheDecodingError("a cached \(type) has a count of \(value)") }
        return value
    }

    mutating func tensor() throws -> HostTensor {
        let rank = try count()
        let shape = try (0..<rank).map { _ in try count() }
        var elements = 1, overflow = false
        for dimension in shape {
            let (product, overflowed) = elements.multipliedReportingOverflow(by: dimension)
            elements = product
            overflow = overflow || overflowed
        }
        guard !overflow, elements <= (bytes.count - offset) / 4 else {
            throw DiskCacheDecodingError("a cached \(type) tensor of shape \(shape) does not fit its bytes")
        }
        let values = bytes.withUnsafeBytes { raw in
            (0..<elements).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + $0 * 4, as: UInt32.self))) }
        }
        offset += elements * 4
        return HostTensor(shape: shape, values: values)
    }

    mutating func optional<T>(_ read: (inout CacheReader) throws -> T) throws -> T? {
        guard offset < bytes.count else { throw DiskCacheDecodingError("a cached \(type) ends early") }
        let present = bytes[offset]
        offset += 1
        guard present <= 1 else { throw DiskCacheDecodingError("a cached \(type) is damaged") }
        return present == 1 ? try read(&self) : nil
    }

    func finish() throws {
        guard offset == bytes.count else { throw DiskCacheDecodingError("a cached \(type) has \(bytes.count - offset) extra bytes") }
    }
}

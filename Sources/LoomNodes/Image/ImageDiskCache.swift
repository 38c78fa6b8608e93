import LoomGraph
import LoomImaging

/// Images and masks in the on-disk output cache: the shape as four little-endian UInt32 (batch, height,
/// width, channels; 1 channel for masks), then the float32 samples, little-endian.
extension Image: DiskCacheable {
    public static var diskCacheTypeName: String { "image" }

    public func diskCacheEncoding() throws -> [UInt8] {
        ShapedSamples.encode(shape: [batchCount, height, width, channels], samples: pixels)
    }

    public init(diskCacheEncoding bytes: [UInt8]) throws {
        let (shape, samples) = try ShapedSamples.decode(bytes, type: "image")
        self.init(batchCount: shape[0], height: shape[1], width: shape[2], channels: shape[3], pixels: samples)
    }
}

extension Mask: DiskCacheable {
    public static var diskCacheTypeName: String { "mask" }

    public func diskCacheEncoding() throws -> [UInt8] {
        ShapedSamples.encode(shape: [batchCount, height, width, 1], samples: values)
    }

    public init(diskCacheEncoding bytes: [UInt8]) throws {
        let (shape, samples) = try ShapedSamples.decode(bytes, type: "mask")
        guard shape[3] == 1 else { throw DiskCacheDecodingError("a cached mask has \(shape[3]) channels") }
        self.init(batchCount: shape[0], height: shape[1], width: shape[2], values: samples)
    }
}

enum ShapedSamples {
    static func encode(shape: [Int], samples: [Float]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(16 + samples.count * 4)
        for dimension in shape { withUnsafeBytes(of: UInt32(dimension).littleEndian) { bytes.append(contentsOf: $0) } }
        for sample in samples { withUnsafeBytes(of: sample.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    static func decode(_ bytes: [UInt8], type: String) throws -> (shape: [Int], samples: [Float]) {
        func word(at offset: Int) -> UInt32 {
            bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
        }
        guard bytes.count >= 16 else { throw DiskCacheDecodingError("a cached \(type) is shorter than its header") }
        let shape = (0..<4).map { Int(word(at: $0 * 4)) }
        let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
        guard shape[3] > 0, count.multipliedReportingOverflow(by: 4).partialValue == bytes.count - 16 else {
            throw DiskCacheDecodingError("a cached \(type) of shape \(shape) does not hold \(bytes.count - 16) bytes")
        }
        return (shape, (0..<count).map { Float(bitPattern: word(at: 16 + $0 * 4)) })
    }
}

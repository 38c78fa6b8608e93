import Foundation
import LoomImaging

/// The golden files `scripts/fixtures/make_image_fixtures.py` wrote from ComfyUI's own code,
/// shared by the imaging and node tests.
public enum Fixtures {
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/images")

    public struct Array: Equatable {
        public var shape: [Int]
        public var values: [Float]
    }

    /// Each case's parameters from `manifest.json`.
    public static func manifest() -> [String: [String: Any]] {
        let data = try! Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
    }

    public static func cases(kind: String) -> [(name: String, parameters: [String: Any])] {
        manifest().filter { $0.value["kind"] as? String == kind }.sorted { $0.key < $1.key }
            .map { ($0.key, $0.value) }
    }

    public static func url(_ file: String) -> URL { directory.appendingPathComponent(file) }

    /// A little-endian float32 C-order .npy file.
    public static func array(_ name: String) throws -> Array {
        let bytes = [UInt8](try Data(contentsOf: url("\(name).npy")))
        guard bytes.starts(with: [0x93] + "NUMPY".utf8) else { throw FixtureError("\(name).npy is not an .npy file") }
        let major = bytes[6]
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8 : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let headerStart = major == 1 ? 10 : 12
        let header = String(decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
            let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else { throw FixtureError("\(name).npy: unexpected header \(header)") }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let data = bytes[(headerStart + headerLength)...]
        let count = shape.reduce(1, *)
        guard data.count == count * 4 else { throw FixtureError("\(name).npy: \(data.count) bytes for shape \(shape)") }
        let values = data.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        return Array(shape: shape, values: values)
    }

    public static func image(_ name: String) throws -> Image {
        let array = try array(name)
        guard array.shape.count == 4 else { throw FixtureError("\(name) is not an image: shape \(array.shape)") }
        return Image(
            batchCount: array.shape[0], height: array.shape[1], width: array.shape[2], channels: array.shape[3],
            pixels: array.values)
    }

    public static func mask(_ name: String) throws -> Mask {
        let array = try array(name)
        guard array.shape.count == 3 else { throw FixtureError("\(name) is not a mask: shape \(array.shape)") }
        return Mask(batchCount: array.shape[0], height: array.shape[1], width: array.shape[2], values: array.values)
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The largest per-sample difference, or nil when the shapes differ.
public func largestDifference(_ actual: Image, _ expected: Image) -> Float? {
    guard actual.batchCount == expected.batchCount, actual.height == expected.height,
        actual.width == expected.width, actual.channels == expected.channels
    else { return nil }
    return zip(actual.pixels, expected.pixels).map { abs($0 - $1) }.max() ?? 0
}

public func largestDifference(_ actual: Mask, _ expected: Mask) -> Float? {
    guard actual.batchCount == expected.batchCount, actual.height == expected.height, actual.width == expected.width
    else { return nil }
    return zip(actual.values, expected.values).map { abs($0 - $1) }.max() ?? 0
}

/// One 8-bit step, the tolerance the golden comparisons allow.
public let oneStep: Float = 1.0 / 255

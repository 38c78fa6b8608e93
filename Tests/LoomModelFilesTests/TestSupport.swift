import Foundation
import LoomGraph
import ModelFixtureSupport
@testable import LoomModelFiles

/// The committed tiny models made by scripts/fixtures/make_model_fixtures.py.
enum Fixtures {
    /// Models committed as parts of another (`sd/sd15-inpaint-unet-tiny.safetensors`) are put together first.
    static func path(_ name: String) -> String {
        do { return try CommittedModels.path(name) } catch { fatalError("\(name): \(error)") }
    }

    static let modelNames = [
        "flux-dev-tiny.safetensors", "flux-fill-tiny.safetensors",
        "flux-dev-tiny-Q8_0.gguf", "flux-dev-tiny-Q4_0.gguf", "block-types.gguf",
        "flux-ae-tiny-f32.safetensors", "flux-ae-tiny-bf16.safetensors",
        "clip-l-tiny-f16.safetensors",
        "t5-tiny-bf16.safetensors", "t5-tiny-fp8-e4m3fn.safetensors", "t5-tiny-fp8-e4m3fn-scaled.safetensors",
        "body_pose_model-tiny.pth", "hand_pose_model-tiny-legacy.pth", "facenet-tiny.pth",
        "torch-saved-dtypes.ckpt", "torch-saved-dtypes-legacy.pth",
        "siglip-vision-tiny-f16.safetensors", "flux-redux-tiny.safetensors", "flux-controlnet-union-tiny.safetensors",
        "flux-lora-kohya-tiny.safetensors", "flux-lora-diffusers-tiny.safetensors",
        "sd/sd15-tiny.safetensors", "sd/sdxl-tiny.safetensors", "sd/sdxl-refiner-tiny.safetensors",
        "sd/sd15-inpaint-unet-tiny.safetensors", "sd/sdxl-vae-tiny.safetensors", "sd/clip-l-sdxl-tiny.safetensors",
        "sd/clip-g-tiny.safetensors",
    ]

    /// The `<file>.json` written next to each fixture.
    static func expectations(_ name: String) throws -> JSONValue {
        try JSONValue(parsing: String(contentsOfFile: CommittedModels.directory + "/" + name + ".json", encoding: .utf8))
    }
}

/// A scratch directory removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "loom-models-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }
}

/// SplitMix64: a fixed seed gives the same fuzz cases on every machine.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == UInt8 {
    mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

/// A safetensors file from header text and data bytes, so tests can write hostile headers verbatim.
func safetensorsBytes(header: String, data: [UInt8] = []) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.append(littleEndian: UInt64(header.utf8.count))
    bytes.append(contentsOf: header.utf8)
    bytes.append(contentsOf: data)
    return bytes
}

/// A zip of stored entries, as torch.save writes them; `method` lets a test claim compression (of every entry, or
/// only of those named in `deflated`, as torch.jit.save deflates its code) and `zip64` moves sizes and offsets into
/// zip64 fields, as writers do past 4 GB.
func storedZip(_ entries: [(name: String, data: [UInt8])], method allMethod: UInt16 = 0, deflated: Set<String> = [],
               zip64: Bool = false) -> [UInt8] {
    var bytes: [UInt8] = []
    var directory: [UInt8] = []
    for entry in entries {
        let method = deflated.contains(entry.name) ? 8 : allMethod
        let offset = UInt32(bytes.count)
        let name = Array(entry.name.utf8)
        bytes.append(littleEndian: UInt32(0x0403_4B50))
        bytes.append(littleEndian: UInt16(20))
        bytes.append(littleEndian: UInt16(0))
        bytes.append(littleEndian: method)
        bytes.append(contentsOf: [UInt8](repeating: 0, count: 8))  // time, date, crc
        bytes.append(littleEndian: UInt32(entry.data.count))
        bytes.append(littleEndian: UInt32(entry.data.count))
        bytes.append(littleEndian: UInt16(name.count))
        bytes.append(littleEndian: UInt16(0))
        bytes.append(contentsOf: name)
        bytes.append(contentsOf: entry.data)

        directory.append(littleEndian: UInt32(0x0201_4B50))
        directory.append(littleEndian: UInt16(20))
        directory.append(littleEndian: UInt16(20))
        directory.append(littleEndian: UInt16(0))
        directory.append(littleEndian: method)
        directory.append(contentsOf: [UInt8](repeating: 0, count: 8))
        let saturated = UInt32.max
        directory.append(littleEndian: zip64 ? saturated : UInt32(entry.data.count))
        directory.append(littleEndian: zip64 ? saturated : UInt32(entry.data.count))
        directory.append(littleEndian: UInt16(name.count))
        directory.append(littleEndian: UInt16(zip64 ? 28 : 0))
        directory.append(contentsOf: [UInt8](repeating: 0, count: 10))  // comment, disk, attributes
        directory.append(littleEndian: zip64 ? saturated : offset)
        directory.append(contentsOf: name)
        if zip64 {
            directory.append(littleEndian: UInt16(1))
            directory.append(littleEndian: UInt16(24))
            directory.append(littleEndian: UInt64(entry.data.count))
            directory.append(littleEndian: UInt64(entry.data.count))
            directory.append(littleEndian: UInt64(offset))
        }
    }
    let directoryOffset = UInt32(bytes.count)
    bytes.append(contentsOf: directory)
    if zip64 {
        let recordOffset = UInt64(bytes.count)
        bytes.append(littleEndian: UInt32(0x0606_4B50))
        bytes.append(littleEndian: UInt64(44))
        bytes.append(contentsOf: [UInt8](repeating: 0, count: 12))  // versions, disk numbers
        bytes.append(littleEndian: UInt64(entries.count))
        bytes.append(littleEndian: UInt64(entries.count))
        bytes.append(littleEndian: UInt64(directory.count))
        bytes.append(littleEndian: UInt64(directoryOffset))
        bytes.append(littleEndian: UInt32(0x0706_4B50))
        bytes.append(littleEndian: UInt32(0))
        bytes.append(littleEndian: recordOffset)
        bytes.append(littleEndian: UInt32(1))
    }
    bytes.append(littleEndian: UInt32(0x0605_4B50))
    bytes.append(littleEndian: UInt32(0))
    bytes.append(littleEndian: zip64 ? UInt16.max : UInt16(entries.count))
    bytes.append(littleEndian: zip64 ? UInt16.max : UInt16(entries.count))
    bytes.append(littleEndian: zip64 ? UInt32.max : UInt32(directory.count))
    bytes.append(littleEndian: zip64 ? UInt32.max : directoryOffset)
    bytes.append(littleEndian: UInt16(0))
    return bytes
}

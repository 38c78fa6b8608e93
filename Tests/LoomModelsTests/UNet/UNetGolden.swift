import Foundation
import LoomModelFiles
import LoomModels

/// Tests/Fixtures/golden/unet-comfy: tiny LDM-layout UNets and the outputs ComfyUI's own
/// `UNetModel` gives for fixed inputs (scripts/fixtures/make_unet_golden.py).
struct UNetGolden {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/unet-comfy")

    struct Case: Decodable {
        let name: String
        let model: String
        let timestep: Float
        let x: String
        let context: String
        let vector: String?
        let concat: String?
        let output: String
        let trace: [String: String]?
    }

    private struct Manifest: Decodable {
        let arrays: [String: [Int]]
        let cases: [Case]
    }

    private let manifest: Manifest

    init() throws {
        manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: Self.directory.appendingPathComponent("manifest.json")))
    }

    func testCase(_ name: String) throws -> Case {
        guard let found = manifest.cases.first(where: { $0.name == name }) else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name]) }
        return found
    }

    /// A little-endian float32 array of the manifest.
    func array(_ name: String) throws -> HostTensor {
        guard let shape = manifest.arrays[name] else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name]) }
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(name + ".f32"))
        let values = data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        return HostTensor(shape: shape, values: values)
    }

    func input(_ c: Case) throws -> DiffusionInput {
        DiffusionInput(x: try array(c.x), timestep: c.timestep, context: try array(c.context), vector: try c.vector.map { try array($0) },
                       concat: try c.concat.map { try array($0) })
    }

    static func open(_ file: String) throws -> ModelFile {
        try ModelFile.open(path: directory.appendingPathComponent(file).path)
    }
}

import Foundation
import LoomModelFiles
import LoomModels
import ModelFixtureSupport

/// Tests/Fixtures/golden/unet: the tiny SD1.5 / SDXL checkpoints of Tests/Fixtures/models/sd and the
/// outputs diffusers and ComfyUI's own `UNetModel` agree on (scripts/fixtures/make_sd_golden.py).
/// Each case is a batch of two samples at different timesteps.
struct UNetGolden {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let directory = fixtures.appendingPathComponent("golden/unet")

    struct Case: Decodable {
        let name: String
        let model: String
        let timesteps: [Float]
        /// With the concatenated channels for inpainting models.
        let x: String
        let context: String
        /// The ADM vector (pooled CLIP-G and the size embeddings) for SDXL models.
        let y: String?
        let output: String
        let trace: [String: String]
    }

    private struct Manifest: Decodable {
        struct Entry: Decodable { let file: String; let shape: [Int] }
        let arrays: [String: Entry]
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
        guard let entry = manifest.arrays[name] else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name]) }
        return try HostTensor(float32File: Self.directory.appendingPathComponent(entry.file), shape: entry.shape)
    }

    /// Sample `index` of the case as one network input: its own timestep, the extra input channels
    /// past `latentChannels` as `concat`.
    func input(_ c: Case, sample index: Int, latentChannels: Int = 4) throws -> DiffusionInput {
        let x = try array(c.x).sample(index)
        let channels = x.shape[1]
        let plane = x.shape[2] * x.shape[3]
        func channelRange(_ range: Range<Int>) -> HostTensor {
            HostTensor(shape: [1, range.count, x.shape[2], x.shape[3]], values: Array(x.values[(range.lowerBound * plane)..<(range.upperBound * plane)]))
        }
        return DiffusionInput(x: channelRange(0..<latentChannels), timestep: c.timesteps[index], context: try array(c.context).sample(index),
                              vector: try c.y.map { try array($0).sample(index) },
                              concat: channels > latentChannels ? channelRange(latentChannels..<channels) : nil)
    }

    static func open(_ file: String) throws -> ModelFile {
        try ModelFile.open(path: CommittedModels.path("sd/" + file))
    }
}

extension HostTensor {
    /// Row `index` of the first dimension, keeping it as a batch of one.
    func sample(_ index: Int) -> HostTensor {
        let size = count / shape[0]
        return HostTensor(shape: [1] + shape.dropFirst(), values: Array(values[(index * size)..<((index + 1) * size)]))
    }
}

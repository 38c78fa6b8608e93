import Foundation
import LoomModelFiles
import LoomModels
import ModelFixtureSupport
import Testing

/// Tests/Fixtures/golden/vae: a small Flux-shaped AE and PyTorch's outputs for it
/// (scripts/fixtures/make_vae_golden.py).
struct AutoencoderGolden {
    struct EncodeCase: Decodable { let image: String; let mean: String }
    struct DecodeCase: Decodable { let latent: String; let image: String }
    struct Array: Decodable { let file: String; let shape: [Int] }
    struct Manifest: Decodable {
        let weights: String
        let encode: [EncodeCase]
        let decode: [DecodeCase]
        let arrays: [String: Array]
    }

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/vae")

    let manifest: Manifest

    init() throws {
        manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: Self.directory.appendingPathComponent("manifest.json")))
    }

    /// Model fixtures (`../../models/...`) may be committed as parts of another and are then put together first.
    var weightsPath: String {
        get throws {
            let modelsFolder = "../../models/"
            guard manifest.weights.hasPrefix(modelsFolder) else { return Self.directory.appendingPathComponent(manifest.weights).path }
            return try CommittedModels.path(String(manifest.weights.dropFirst(modelsFolder.count)))
        }
    }

    /// A raw little-endian float32 array of the manifest.
    func tensor(_ name: String) throws -> HostTensor {
        guard let entry = manifest.arrays[name] else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name]) }
        return try HostTensor(float32File: Self.directory.appendingPathComponent(entry.file), shape: entry.shape)
    }

    /// Encodes every manifest image and expects PyTorch's latent mean within NMSE 5e-4.
    func expectEncoderMatchesPyTorch(_ autoencoder: Autoencoder) throws {
        for test in manifest.encode {
            let expected = try tensor(test.mean)
            let mean = try autoencoder.encode(tensor(test.image), tiling: .never)
            #expect(mean.shape == expected.shape, "\(test.image)")
            let error = nmse(expected.values, mean.values)
            #expect(error <= 5e-4, "\(test.image): NMSE \(error)")
        }
    }

    /// Decodes every manifest latent and expects PyTorch's image within NMSE 5e-4.
    func expectDecoderMatchesPyTorch(_ autoencoder: Autoencoder) throws {
        for test in manifest.decode {
            let expected = try tensor(test.image)
            let image = try autoencoder.decode(tensor(test.latent), tiling: .never)
            #expect(image.shape == expected.shape, "\(test.latent)")
            let error = nmse(expected.values, image.values)
            #expect(error <= 5e-4, "\(test.latent): NMSE \(error)")
        }
    }
}

import Foundation
import LoomModelFiles
import LoomModels
import LoomVulkan
import Testing

@Suite struct AutoencoderTests {
    let golden: AutoencoderGolden
    let autoencoder: Autoencoder

    init() throws {
        golden = try AutoencoderGolden()
        autoencoder = try Autoencoder(file: ModelFile.open(path: golden.weightsPath), context: ComputeDevice.processDefault.context())
    }

    @Test func fixtureIsDetectedAsTheAutoencoder() throws {
        let detected = ArchitectureDetector.detect(try ModelFile.open(path: golden.weightsPath))
        guard case .autoencoder(let parameters) = detected.first?.architecture, detected.count == 1 else {
            Issue.record("detected \(detected)")
            return
        }
        #expect(parameters.latentChannels == 16)
        #expect(parameters.imageChannels == 3)
        #expect(parameters.baseChannels == 32)
        #expect(parameters.channelMultipliers == [1, 2, 1, 1])
        #expect(parameters.encoderResBlockCount == 1)
        #expect(parameters.decoderResBlockCount == 2)
        #expect(autoencoder.downscaleFactor == 8)
    }

    @Test func encoderMeanMatchesPyTorch() throws {
        for test in golden.manifest.encode {
            let expected = try golden.tensor(test.mean)
            let mean = try autoencoder.encode(golden.tensor(test.image), tiling: .never)
            #expect(mean.shape == expected.shape, "\(test.image)")
            let error = nmse(expected.values, mean.values)
            #expect(error <= 5e-4, "\(test.image): NMSE \(error)")
        }
    }

    @Test func decoderMatchesPyTorch() throws {
        for test in golden.manifest.decode {
            let expected = try golden.tensor(test.image)
            let image = try autoencoder.decode(golden.tensor(test.latent), tiling: .never)
            #expect(image.shape == expected.shape, "\(test.latent)")
            let error = nmse(expected.values, image.values)
            #expect(error <= 5e-4, "\(test.latent): NMSE \(error)")
        }
    }

    @Test func missingHalfIsReported() throws {
        let decoderOnly = try Autoencoder(weights: ModelWeights(file: ModelFile.open(path: golden.weightsPath), context: ComputeDevice.processDefault.context()),
                                              parameters: withoutEncoder(autoencoder.parameters))
        #expect(throws: AutoencoderError.missingHalf("encoder")) {
            try decoderOnly.encode(HostTensor(zeros: [1, 3, 16, 16]))
        }
    }

    private func withoutEncoder(_ p: AutoencoderParameters) -> AutoencoderParameters {
        let shapes = try! ModelFile.open(path: golden.weightsPath).tensors
            .filter { !$0.name.hasPrefix("encoder.") }
            .reduce(into: [String: [Int]]()) { $0[$1.name] = $1.shape }
        guard case .autoencoder(let parameters) = ArchitectureDetector.detect(shapes: shapes).first?.architecture else { return p }
        return parameters
    }
}

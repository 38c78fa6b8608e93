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
        try golden.expectEncoderMatchesPyTorch(autoencoder)
    }

    @Test func decoderMatchesPyTorch() throws {
        try golden.expectDecoderMatchesPyTorch(autoencoder)
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

import Foundation
import LoomModelFiles
import LoomModels
import LoomVulkan
import Testing

private let cooperativeContext = try? VulkanContext(matmulKernel: .cooperative)

/// The autoencoder against its PyTorch golden in a context that runs cooperative matrices, so its
/// matmuls and ungrouped convolutions take the f16 × f16 → f32 kernels. Runs only on devices with
/// `VK_KHR_cooperative_matrix` (under `../shared/tools/mesa-next` on this machine).
@Suite(.enabled(if: cooperativeContext?.device.supportsCooperativeMatrixMatmul == true, "the Vulkan device has no VK_KHR_cooperative_matrix"))
struct AutoencoderCooperativeTests {
    let golden: AutoencoderGolden
    let autoencoder: Autoencoder

    init() throws {
        let context = try #require(cooperativeContext)
        // The device has cooperative matrices, so a missing variant is a build problem.
        try #require(context.cooperativeConvolutionAvailable(for: .f32) && context.cooperativeMatmulAvailable(for: .f32),
                     "the cooperative variants were not compiled: build with glslangValidator ≥ 13 on PATH")
        golden = try AutoencoderGolden()
        autoencoder = try Autoencoder(file: ModelFile.open(path: golden.weightsPath), context: context)
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
}

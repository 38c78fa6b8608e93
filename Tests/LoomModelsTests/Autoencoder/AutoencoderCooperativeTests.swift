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
        try golden.expectEncoderMatchesPyTorch(autoencoder)
    }

    @Test func decoderMatchesPyTorch() throws {
        try golden.expectDecoderMatchesPyTorch(autoencoder)
    }
}

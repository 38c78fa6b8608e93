import LoomModelFiles
import LoomVulkan

/// `LastLayer`: adaLN with (shift, scale) — BFL's order; diffusers stores scale first — then a
/// linear map to the patch channels.
struct FluxFinalLayer: Sendable {
    let modulation: FluxModulation
    let linear: Linear

    init(_ weights: ModelWeights, _ c: FluxConfiguration) throws(ModelLoadingError) {
        modulation = try FluxModulation(weights, "final_layer.adaLN_modulation.1", hidden: c.hiddenSize, chunks: 2)
        linear = try weights.linear("final_layer.linear", inputs: c.hiddenSize, outputs: c.parameters.outChannels)
    }

    func callAsFunction(_ image: Tensor, activatedVector: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        let mod = try modulation(activatedVector, on: recorder)
        return try linear(recorder.fluxModulatedNorm(image, shift: mod[0], scale: mod[1]), on: recorder)
    }
}

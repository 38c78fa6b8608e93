import LoomModelFiles
import LoomVulkan

/// adaLN modulation: `Linear(silu(vec))` split into `chunks` vectors of the hidden size, each a
/// [B, 1, hidden] view that broadcasts over the tokens. Flux orders them (shift, scale, gate) per
/// sub-layer.
struct FluxModulation: Sendable {
    let linear: Linear
    let chunks: Int

    init(_ weights: ModelWeights, _ module: String, hidden: Int, chunks: Int) throws(ModelLoadingError) {
        linear = try weights.linear(module, inputs: hidden, outputs: chunks * hidden)
        self.chunks = chunks
    }

    /// `activatedVector` is silu(vec), [B, hidden].
    func callAsFunction(_ activatedVector: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> [Tensor] {
        let batch = activatedVector.shape[0]
        let hidden = linear.outputCount / chunks
        let all = try linear(activatedVector, on: recorder).reshaped([batch, 1, chunks * hidden])
        var parts: [Tensor] = []
        for index in 0..<chunks { parts.append(try all.sliced(axis: 2, (index * hidden)..<((index + 1) * hidden))) }
        return parts
    }
}

extension CommandRecorder {
    /// LayerNorm without affine parameters (eps 1e-6), then `x · (1 + scale) + shift`, in one
    /// dispatch, stored as `outputDType` (f32, f16 or bf16).
    func fluxModulatedNorm(_ x: Tensor, shift: Tensor, scale: Tensor, outputDType: DType = .f32) throws(VulkanError) -> Tensor {
        try modulatedLayerNorm(x, shift: shift, scale: scale, epsilon: 1e-6, outputDType: outputDType)
    }
}

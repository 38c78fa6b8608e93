import LoomModelFiles
import LoomVulkan

/// `MLPEmbedder`: Linear → SiLU → Linear, how Flux embeds timesteps, guidance and the pooled vector.
struct FluxMLPEmbedder: Sendable {
    let inLayer: Linear
    let outLayer: Linear

    init(_ weights: ModelWeights, _ module: String, inputs: Int, hidden: Int) throws(ModelLoadingError) {
        inLayer = try weights.linear(module + ".in_layer", inputs: inputs, outputs: hidden)
        outLayer = try weights.linear(module + ".out_layer", inputs: hidden, outputs: hidden)
    }

    func callAsFunction(_ x: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        try outLayer(recorder.silu(inLayer(x, on: recorder)), on: recorder)
    }
}

/// The conditioning vector `vec` every block is modulated by: time + guidance + pooled text, plus
/// the image and text input projections.
struct FluxEmbeddings: Sendable {
    static let sinusoidalWidth = 256

    let imageIn: Linear
    let textIn: Linear
    let time: FluxMLPEmbedder
    let guidance: FluxMLPEmbedder?
    let pooledVector: FluxMLPEmbedder

    init(_ weights: ModelWeights, _ p: FluxParameters) throws(ModelLoadingError) {
        imageIn = try weights.linear("img_in", inputs: p.inChannels, outputs: p.hiddenSize)
        textIn = try weights.linear("txt_in", inputs: p.contextDimension, outputs: p.hiddenSize)
        time = try FluxMLPEmbedder(weights, "time_in", inputs: Self.sinusoidalWidth, hidden: p.hiddenSize)
        guidance = try p.hasGuidanceEmbedding
            ? FluxMLPEmbedder(weights, "guidance_in", inputs: Self.sinusoidalWidth, hidden: p.hiddenSize) : nil
        pooledVector = try FluxMLPEmbedder(weights, "vector_in", inputs: p.pooledDimension, hidden: p.hiddenSize)
    }

    /// `vec` [B, hidden] for one timestep (sigma; scaled by 1000 inside the sinusoid as in
    /// ComfyUI), the guidance value (ignored without a guidance embedding) and the pooled vectors [B, pooled].
    func conditioningVector(timestep: Float, guidance guidanceValue: Float, pooled: Tensor, batch: Int,
                on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        let context = recorder.context
        func sinusoid(_ value: Float) throws(VulkanError) -> Tensor {
            try context.upload(timestepEmbedding([Float](repeating: value, count: batch), dimension: Self.sinusoidalWidth),
                               shape: [batch, Self.sinusoidalWidth])
        }
        var vec = try time(sinusoid(timestep), on: recorder)
        if let guidance {
            vec = try recorder.add(vec, guidance(sinusoid(guidanceValue), on: recorder))
        }
        return try recorder.add(vec, pooledVector(pooled, on: recorder))
    }
}

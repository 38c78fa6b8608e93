import LoomVulkan

/// One entry of `input_blocks`, `middle_block` or `output_blocks`: its layers run in order, each
/// given what it needs (ComfyUI's `TimestepEmbedSequential`). Layer `i` of block `N` has its
/// tensors under `<blocks>.N.i.`.
struct UNetBlock: Sendable {
    enum Layer: Sendable {
        case resBlock(ResNetBlock)
        case transformer(SpatialTransformer)
        case downsample(Downsample)
        case upsample(Upsample)
    }

    let layers: [Layer]

    /// What the layers read besides the activations.
    struct Conditioning {
        /// silu(emb), [B, 4·model channels].
        let activatedEmbedding: Tensor
        /// [B, tokens, context width].
        let context: Tensor
    }

    /// `outputSize` is the size an upsampling layer produces (the next skip tensor's).
    func callAsFunction(_ x: Tensor, _ conditioning: Conditioning, outputSize: (height: Int, width: Int)? = nil,
                        on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        var h = x
        for layer in layers {
            switch layer {
            case .resBlock(let block): h = try block(h, activatedEmbedding: conditioning.activatedEmbedding, on: recorder)
            case .transformer(let transformer): h = try transformer(h, context: conditioning.context, on: recorder)
            case .downsample(let downsample): h = try downsample(h, on: recorder)
            case .upsample(let upsample): h = try upsample(h, size: outputSize, on: recorder)
            }
        }
        return h
    }
}

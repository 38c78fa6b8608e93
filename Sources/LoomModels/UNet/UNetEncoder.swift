import LoomModelFiles
import LoomVulkan

/// The encoder half of an LDM UNet — time (and ADM label) embedding, `input_blocks` with `conv_in` first, and
/// `middle_block` — shared by `UNetModel` and the classic ControlNets, which copy it (ComfyUI's `cldm.ControlNet`).
struct UNetEncoder: Sendable {
    let parameters: UNetParameters
    let timeEmbedding: (first: Linear, second: Linear)
    /// SDXL's ADM vector embedding (`label_emb.0`); nil for models without one.
    let labelEmbedding: (first: Linear, second: Linear)?
    let inputConvolution: Convolution
    let inputBlocks: [UNetBlock]
    let middleBlock: UNetBlock?
    /// The width of `conv_in`'s output and of every input block's, in order: the decoder's skip connections.
    let skipWidths: [Int]

    init(weights: ModelWeights, parameters p: UNetParameters) throws(ModelLoadingError) {
        let file = weights.file.path
        func unsupported(_ reason: String) -> ModelLoadingError { .unsupported(file: file, reason: "UNet: \(reason)") }
        let levels = p.levelCount
        guard levels > 0, p.resBlockCounts.count == levels, p.resBlockCounts.allSatisfy({ $0 > 0 }),
              p.inputTransformerDepths.count == p.resBlockCounts.reduce(0, +) else {
            throw unsupported("inconsistent block counts \(p.resBlockCounts), transformer depths \(p.inputTransformerDepths)")
        }
        let hasTransformers = p.inputTransformerDepths.contains { $0 > 0 } || p.outputTransformerDepths.contains { $0 > 0 }
            || p.middleBlock != .resBlock && p.middleBlock != .none
        if hasTransformers, p.contextDimension == nil { throw unsupported("transformers without a context width") }
        parameters = p
        let embeddingWidth = p.timeEmbeddingDimension

        timeEmbedding = (try weights.linear("time_embed.0", inputs: p.modelChannels, outputs: embeddingWidth),
                         try weights.linear("time_embed.2", inputs: embeddingWidth, outputs: embeddingWidth))
        labelEmbedding = try p.admInChannels.map { adm throws(ModelLoadingError) in
            (try weights.linear("label_emb.0.0", inputs: adm, outputs: embeddingWidth),
             try weights.linear("label_emb.0.2", inputs: embeddingWidth, outputs: embeddingWidth))
        }

        inputConvolution = try .same(weights, "input_blocks.0.0", inputs: p.inChannels, outputs: p.modelChannels)
        var width = p.modelChannels
        var skipWidths = [width]
        var inputs: [UNetBlock] = []
        var depths = p.inputTransformerDepths.makeIterator()
        for level in 0..<levels {
            for _ in 0..<p.resBlockCounts[level] {
                let module = "input_blocks.\(inputs.count + 1)"
                var layers = [try UNetBlock.resBlock(weights, module + ".0", width, p.levelWidth(level), p)]
                width = p.levelWidth(level)
                if let depth = depths.next(), depth > 0 { layers.append(try UNetBlock.transformer(weights, module + ".1", width, depth, p)) }
                inputs.append(UNetBlock(layers: layers))
                skipWidths.append(width)
            }
            if level != levels - 1 {
                let module = "input_blocks.\(inputs.count + 1).0.op"
                inputs.append(UNetBlock(layers: [.downsample(try Downsample(weights, module, channels: width, padding: .symmetric))]))
                skipWidths.append(width)
            }
        }
        inputBlocks = inputs
        self.skipWidths = skipWidths

        switch p.middleBlock {
        case .transformer(let depth):
            middleBlock = UNetBlock(layers: [try UNetBlock.resBlock(weights, "middle_block.0", width, width, p),
                                             try UNetBlock.transformer(weights, "middle_block.1", width, depth, p),
                                             try UNetBlock.resBlock(weights, "middle_block.2", width, width, p)])
        case .resBlock:
            middleBlock = UNetBlock(layers: [try UNetBlock.resBlock(weights, "middle_block.0", width, width, p)])
        case .none:
            middleBlock = nil
        }
    }

    /// `emb` [B, 4·model channels] for a timestep (ComfyUI's discrete timestep, sinusoid without time factor) and,
    /// for models with a label embedding, the ADM vectors [B, ADM width].
    func embedding(timestep: Float, vector: HostTensor?, batch: Int, context: VulkanContext,
                   on recorder: CommandRecorder) throws(VulkanError) -> (time: Tensor, embedding: Tensor) {
        let sinusoid = try context.upload(timestepEmbedding([Float](repeating: timestep, count: batch), dimension: parameters.modelChannels,
                                                            timeFactor: 1), shape: [batch, parameters.modelChannels])
        let time = try timeEmbedding.second(recorder.silu(timeEmbedding.first(sinusoid, on: recorder)), on: recorder)
        guard let labelEmbedding, let vector else { return (time, time) }
        let label = try labelEmbedding.second(recorder.silu(labelEmbedding.first(context.upload(vector.values, shape: vector.shape),
                                                                                 on: recorder)), on: recorder)
        return (time, try recorder.add(time, label))
    }

    /// Runs `conv_in` and the input blocks on `x`, one submit each; `visit` sees each output once it holds its values
    /// (index 0 is `conv_in`'s) and returns what the next block takes. Returns the last output.
    func encode(_ x: Tensor, _ conditioning: UNetBlock.Conditioning, on recorder: CommandRecorder,
                visit: (Int, Tensor) throws -> Tensor) throws -> Tensor {
        var h = try inputConvolution(x, on: recorder)
        try recorder.submit()
        h = try visit(0, h)
        for (index, block) in inputBlocks.enumerated() {
            h = try block(h, conditioning, on: recorder)
            try recorder.submit()
            h = try visit(index + 1, h)
        }
        return h
    }
}

extension UNetBlock {
    static func resBlock(_ weights: ModelWeights, _ module: String, _ inputs: Int, _ outputs: Int,
                         _ p: UNetParameters) throws(ModelLoadingError) -> Layer {
        .resBlock(try ResNetBlock(weights, module, .unet, inputs: inputs, outputs: outputs, timeEmbeddingWidth: p.timeEmbeddingDimension))
    }

    static func transformer(_ weights: ModelWeights, _ module: String, _ channels: Int, _ depth: Int,
                            _ p: UNetParameters) throws(ModelLoadingError) -> Layer {
        guard let (heads, _) = p.attentionHeads.split(channels), let contextWidth = p.contextDimension else {
            throw .unsupported(file: weights.file.path, reason: "UNet: \(module) has \(channels) channels, which \(p.attentionHeads) does not split into heads")
        }
        return .transformer(try SpatialTransformer(weights, module, channels: channels, depth: depth, contextWidth: contextWidth, heads: heads))
    }
}

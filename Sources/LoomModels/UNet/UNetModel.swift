import LoomModelFiles
import LoomVulkan

/// The latent-diffusion UNet of SD1.x, SD2.x and SDXL (base, refiner, inpainting) on Vulkan,
/// computing what ComfyUI's `UNetModel` (`comfy/ldm/modules/diffusionmodules/openaimodel.py`)
/// computes from LDM-layout weights: f32 activations, weights read in their stored dtype.
public struct UNetModel: DiffusionNetwork {
    public let parameters: UNetParameters
    let context: VulkanContext
    let timeEmbedding: (first: Linear, second: Linear)
    /// SDXL's ADM vector embedding (`label_emb.0`); nil for models without one.
    let labelEmbedding: (first: Linear, second: Linear)?
    let inputConvolution: Convolution
    let inputBlocks: [UNetBlock]
    let middleBlock: UNetBlock?
    let outputBlocks: [UNetBlock]
    let outputNorm: GroupNormalization
    let outputConvolution: Convolution

    public var latentChannels: Int { parameters.outChannels }
    public var concatChannels: Int { parameters.inChannels - parameters.outChannels }
    public var usesGuidance: Bool { false }

    /// Loads the UNet whose tensors `weights` points at (`model.diffusion_model.` in a checkpoint,
    /// none in a diffusion-model file), with the parameters detection read from them.
    public init(weights: ModelWeights, parameters p: UNetParameters) throws(ModelLoadingError) {
        let file = weights.file.path
        func unsupported(_ reason: String) -> ModelLoadingError { .unsupported(file: file, reason: "UNet: \(reason)") }
        let levels = p.levelCount
        guard levels > 0, p.resBlockCounts.count == levels, p.resBlockCounts.allSatisfy({ $0 > 0 }),
              p.inputTransformerDepths.count == p.resBlockCounts.reduce(0, +),
              p.outputTransformerDepths.count == p.resBlockCounts.reduce(0, { $0 + $1 + 1 }) else {
            throw unsupported("inconsistent block counts \(p.resBlockCounts), transformer depths \(p.inputTransformerDepths) / \(p.outputTransformerDepths)")
        }
        guard p.inChannels >= p.outChannels, p.outChannels > 0 else {
            throw unsupported("\(p.inChannels) input channels cannot hold a latent of \(p.outChannels)")
        }
        let hasTransformers = p.inputTransformerDepths.contains { $0 > 0 } || p.outputTransformerDepths.contains { $0 > 0 }
        if hasTransformers, p.contextDimension == nil { throw unsupported("transformers without a context width") }
        self.parameters = p
        context = weights.context
        let embeddingWidth = p.timeEmbeddingDimension

        timeEmbedding = (try weights.linear("time_embed.0", inputs: p.modelChannels, outputs: embeddingWidth),
                         try weights.linear("time_embed.2", inputs: embeddingWidth, outputs: embeddingWidth))
        labelEmbedding = try p.admInChannels.map { adm throws(ModelLoadingError) in
            (try weights.linear("label_emb.0.0", inputs: adm, outputs: embeddingWidth),
             try weights.linear("label_emb.0.2", inputs: embeddingWidth, outputs: embeddingWidth))
        }

        func resBlock(_ module: String, _ inputs: Int, _ outputs: Int) throws(ModelLoadingError) -> UNetBlock.Layer {
            .resBlock(try ResNetBlock(weights, module, .unet, inputs: inputs, outputs: outputs, timeEmbeddingWidth: embeddingWidth))
        }
        func transformer(_ module: String, _ channels: Int, depth: Int) throws(ModelLoadingError) -> UNetBlock.Layer {
            guard let (heads, _) = p.attentionHeads.split(channels), let contextWidth = p.contextDimension else {
                throw unsupported("\(module) has \(channels) channels, which \(p.attentionHeads) does not split into heads")
            }
            return .transformer(try SpatialTransformer(weights, module, channels: channels, depth: depth, contextWidth: contextWidth, heads: heads))
        }

        inputConvolution = try .same(weights, "input_blocks.0.0", inputs: p.inChannels, outputs: p.modelChannels)
        var width = p.modelChannels
        var skipWidths = [width]
        var inputs: [UNetBlock] = []
        var depths = p.inputTransformerDepths.makeIterator()
        for level in 0..<levels {
            for _ in 0..<p.resBlockCounts[level] {
                let module = "input_blocks.\(inputs.count + 1)"
                var layers = [try resBlock(module + ".0", width, p.levelWidth(level))]
                width = p.levelWidth(level)
                if let depth = depths.next(), depth > 0 { layers.append(try transformer(module + ".1", width, depth: depth)) }
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

        switch p.middleBlock {
        case .transformer(let depth):
            middleBlock = UNetBlock(layers: [try resBlock("middle_block.0", width, width), try transformer("middle_block.1", width, depth: depth),
                                             try resBlock("middle_block.2", width, width)])
        case .resBlock:
            middleBlock = UNetBlock(layers: [try resBlock("middle_block.0", width, width)])
        case .none:
            middleBlock = nil
        }

        var outputs: [UNetBlock] = []
        for level in (0..<levels).reversed() {
            for index in 0...p.resBlockCounts[level] {
                let module = "output_blocks.\(outputs.count)"
                let skip = skipWidths.removeLast()
                var layers = [try resBlock(module + ".0", width + skip, p.levelWidth(level))]
                width = p.levelWidth(level)
                let depth = p.outputTransformerDepths[outputs.count]
                if depth > 0 { layers.append(try transformer(module + ".1", width, depth: depth)) }
                if level > 0, index == p.resBlockCounts[level] {
                    layers.append(.upsample(try Upsample(weights, "\(module).\(layers.count).conv", channels: width)))
                }
                outputs.append(UNetBlock(layers: layers))
            }
        }
        outputBlocks = outputs
        outputNorm = try GroupNormalization(weights, "out.0", channels: width, epsilon: 1e-5)
        outputConvolution = try .same(weights, "out.2", inputs: width, outputs: p.outChannels)
    }

    /// The UNet a file holds, found by its tensor names and shapes (a checkpoint's
    /// `model.diffusion_model.`, or a bare diffusion-model file).
    public init(file: ModelFile, context: VulkanContext) throws(ModelLoadingError) {
        let found = ArchitectureDetector.detect(file).lazy.compactMap { model -> (String, UNetParameters)? in
            if case .unet(let parameters) = model.architecture { (model.prefix, parameters) } else { nil }
        }.first
        guard let (prefix, parameters) = found else {
            throw .unsupported(file: file.path, reason: "no UNet found (expected tensors input_blocks.0.0.weight, time_embed.0.weight and out.2.weight, possibly under model.diffusion_model.)")
        }
        try self.init(weights: ModelWeights(file: file, prefix: prefix, context: context), parameters: parameters)
    }

    public func prediction(for input: DiffusionInput) async throws -> HostTensor {
        if let control = input.controls.first {
            throw DiffusionInputError(model: "UNet", input: "control", expected: "none: Loom runs no ControlNet for SD UNets yet (got a \(control.network))", found: [])
        }
        return try evaluate(input, trace: nil)
    }

    /// One evaluation; `trace` sees the named intermediate tensors once they hold their values:
    /// `time_embed`, `emb` (with the label embedding), `input_block_N` from 0, `middle`, `output_block_N`.
    func evaluate(_ input: DiffusionInput, trace: ((String, Tensor) throws -> Void)?) throws -> HostTensor {
        let inputs = try UNetInputs(input, parameters)
        let recorder = try context.makeRecorder()
        let batch = inputs.x.shape[0]

        let sinusoid = try context.upload(timestepEmbedding([Float](repeating: input.timestep, count: batch), dimension: parameters.modelChannels,
                                                            timeFactor: 1), shape: [batch, parameters.modelChannels])
        let time = try timeEmbedding.second(recorder.silu(timeEmbedding.first(sinusoid, on: recorder)), on: recorder)
        var embedding = time
        if let labelEmbedding, let vector = inputs.vector {
            let label = try labelEmbedding.second(recorder.silu(labelEmbedding.first(context.upload(vector.values, shape: vector.shape),
                                                                                     on: recorder)), on: recorder)
            embedding = try recorder.add(embedding, label)
        }
        let conditioning = UNetBlock.Conditioning(activatedEmbedding: try recorder.silu(embedding),
                                                  context: try context.upload(inputs.context.values, shape: inputs.context.shape))
        try recorder.submit()
        try trace?("time_embed", time)
        try trace?("emb", embedding)

        var h = try inputConvolution(context.upload(inputs.x.values, shape: inputs.x.shape), on: recorder)
        try recorder.submit()
        try trace?("input_block_0", h)
        var skips = [h]
        for (index, block) in inputBlocks.enumerated() {
            h = try block(h, conditioning, on: recorder)
            try recorder.submit()
            skips.append(h)
            try trace?("input_block_\(index + 1)", h)
        }
        if let middleBlock {
            h = try middleBlock(h, conditioning, on: recorder)
            try recorder.submit()
            try trace?("middle", h)
        }
        for (index, block) in outputBlocks.enumerated() {
            h = try recorder.concatenate([h, skips.removeLast()], axis: 1)
            let size = skips.last.map { (height: $0.shape[2], width: $0.shape[3]) }
            h = try block(h, conditioning, outputSize: size, on: recorder)
            try recorder.submit()
            try trace?("output_block_\(index)", h)
        }
        let output = try outputConvolution(recorder.silu(outputNorm(h, on: recorder)), on: recorder)
        try recorder.submit()
        return HostTensor(shape: output.shape, values: try context.download(output))
    }
}

/// A `DiffusionInput` checked against the UNet and brought to the shapes it runs on:
/// conditioning with a batch of 1 repeated to the latent's batch, `x` joined with `concat`.
struct UNetInputs {
    /// [B, in channels, H, W].
    let x: HostTensor
    /// [B, tokens, context width]; one zero token for a model without transformers.
    let context: HostTensor
    /// [B, ADM width] for models with a label embedding.
    let vector: HostTensor?

    init(_ input: DiffusionInput, _ p: UNetParameters) throws(DiffusionInputError) {
        func mismatch(_ name: String, _ expected: String, _ found: [Int]) -> DiffusionInputError {
            DiffusionInputError(model: "UNet", input: name, expected: expected, found: found)
        }
        let latentChannels = p.outChannels
        let concatChannels = p.inChannels - p.outChannels
        let x = input.x
        guard x.rank == 4, x.shape[1] == latentChannels, x.shape.allSatisfy({ $0 > 0 }) else {
            throw mismatch("x", "[batch, \(latentChannels), height, width]", x.shape)
        }
        let (batch, height, width) = (x.shape[0], x.shape[2], x.shape[3])
        func batched(_ t: HostTensor, _ name: String, _ expected: String) throws(DiffusionInputError) -> HostTensor {
            guard let repeated = t.repeatingBatch(to: batch) else { throw mismatch(name, expected + " (or a batch of 1)", t.shape) }
            return repeated
        }

        if let width = p.contextDimension {
            let expected = "[\(batch), tokens, \(width)]"
            guard input.context.rank == 3, input.context.shape[2] == width, input.context.shape[1] > 0 else {
                throw mismatch("context", expected, input.context.shape)
            }
            context = try batched(input.context, "context", expected)
        } else {
            context = HostTensor(zeros: [batch, 1, 1])
        }

        if let adm = p.admInChannels {
            let expected = "[\(batch), \(adm)]"
            guard let given = input.vector else { throw mismatch("vector", expected, []) }
            guard given.rank == 2, given.shape[1] == adm else { throw mismatch("vector", expected, given.shape) }
            vector = try batched(given, "vector", expected)
        } else {
            vector = nil
        }

        guard concatChannels > 0 else {
            if let given = input.concat { throw mismatch("concat", "none (this UNet takes \(latentChannels) channels)", given.shape) }
            self.x = x
            return
        }
        let expected = "[\(batch), \(concatChannels), \(height), \(width)]"
        guard let given = input.concat else { throw mismatch("concat", expected, []) }
        guard given.rank == 4, given.shape[1] == concatChannels, given.shape[2] == height, given.shape[3] == width else {
            throw mismatch("concat", expected, given.shape)
        }
        self.x = HostTensor.concatenatingChannels([x, try batched(given, "concat", expected)])
    }
}

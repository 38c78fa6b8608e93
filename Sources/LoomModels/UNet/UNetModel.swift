import LoomModelFiles
import LoomVulkan

/// The latent-diffusion UNet of SD1.x, SD2.x and SDXL (base, refiner, inpainting) on Vulkan,
/// computing what ComfyUI's `UNetModel` (`comfy/ldm/modules/diffusionmodules/openaimodel.py`)
/// computes from LDM-layout weights: f32 activations, weights read in their stored dtype.
public struct UNetModel: DiffusionNetwork {
    public let parameters: UNetParameters
    let context: VulkanContext
    let encoder: UNetEncoder
    let outputBlocks: [UNetBlock]
    let outputNorm: GroupNormalization
    let outputConvolution: Convolution

    public var latentChannels: Int { parameters.outChannels }
    public var concatChannels: Int { parameters.inChannels - parameters.outChannels }
    public var usesGuidance: Bool { false }

    /// Loads the UNet whose tensors `weights` points at (`model.diffusion_model.` in a checkpoint,
    /// none in a diffusion-model file), with the parameters detection read from them.
    public init(weights: ModelWeights, parameters p: UNetParameters) throws(ModelLoadingError) {
        guard p.outputTransformerDepths.count == p.resBlockCounts.reduce(0, { $0 + $1 + 1 }) else {
            throw .unsupported(file: weights.file.path, reason: "UNet: \(p.outputTransformerDepths.count) output blocks for res block counts \(p.resBlockCounts)")
        }
        guard p.inChannels >= p.outChannels, p.outChannels > 0 else {
            throw .unsupported(file: weights.file.path, reason: "UNet: \(p.inChannels) input channels cannot hold a latent of \(p.outChannels)")
        }
        self.parameters = p
        context = weights.context
        encoder = try UNetEncoder(weights: weights, parameters: p)

        var width = encoder.skipWidths.last ?? p.modelChannels
        var skipWidths = encoder.skipWidths
        var outputs: [UNetBlock] = []
        for level in (0..<p.levelCount).reversed() {
            for index in 0...p.resBlockCounts[level] {
                let module = "output_blocks.\(outputs.count)"
                let skip = skipWidths.removeLast()
                var layers = [try UNetBlock.resBlock(weights, module + ".0", width + skip, p.levelWidth(level), p)]
                width = p.levelWidth(level)
                let depth = p.outputTransformerDepths[outputs.count]
                if depth > 0 { layers.append(try UNetBlock.transformer(weights, module + ".1", width, depth, p)) }
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
        try evaluate(input, trace: nil)
    }

    /// One evaluation; `trace` sees the named intermediate tensors once they hold their values:
    /// `time_embed`, `emb` (with the label embedding), `input_block_N` from 0, `middle`, `output_block_N`.
    /// ControlNets' residuals are added to the middle block's output and to each skip connection as the decoder
    /// takes it (ComfyUI's `apply_control`).
    func evaluate(_ input: DiffusionInput, trace: ((String, Tensor) throws -> Void)?) throws -> HostTensor {
        let inputs = try UNetInputs(input, parameters)
        let recorder = try context.makeRecorder()
        let batch = inputs.x.shape[0]
        let controls = try controlResiduals(input, recorder: recorder)

        let (time, embedding) = try encoder.embedding(timestep: input.timestep, vector: inputs.vector, batch: batch, context: context,
                                                      on: recorder)
        let conditioning = UNetBlock.Conditioning(activatedEmbedding: try recorder.silu(embedding),
                                                  context: try context.upload(inputs.context.values, shape: inputs.context.shape))
        try recorder.submit()
        try trace?("time_embed", time)
        try trace?("emb", embedding)

        var skips: [Tensor] = []
        var h = try encoder.encode(context.upload(inputs.x.values, shape: inputs.x.shape), conditioning, on: recorder) { index, output in
            skips.append(output)
            try trace?("input_block_\(index)", output)
            return output
        }
        if let middleBlock = encoder.middleBlock {
            h = try middleBlock(h, conditioning, on: recorder)
            for control in controls { h = try UNetControlResiduals.adding(control.middle, to: h, at: "middle block", recorder) }
            try recorder.submit()
            try trace?("middle", h)
        }
        for (index, block) in outputBlocks.enumerated() {
            var skip = skips.removeLast()
            for control in controls {
                skip = try UNetControlResiduals.adding(control.output[skips.count], to: skip, at: "skip \(skips.count)", recorder)
            }
            h = try recorder.concatenate([h, skip], axis: 1)
            let size = skips.last.map { (height: $0.shape[2], width: $0.shape[3]) }
            h = try block(h, conditioning, outputSize: size, on: recorder)
            try recorder.submit()
            try trace?("output_block_\(index)", h)
        }
        let output = try outputConvolution(outputNorm.activated(h, feeding: outputConvolution, on: recorder), on: recorder)
        try recorder.submit()
        return HostTensor(shape: output.shape, values: try context.download(output))
    }

    /// The residuals of the ControlNets in `input.controls`, computed before the UNet runs.
    private func controlResiduals(_ input: DiffusionInput, recorder: CommandRecorder) throws -> [UNetControlResiduals] {
        try input.controls.map { control in
            guard let controlNet = control.network as? UNetControlNet else {
                throw DiffusionInputError(model: "UNet", input: "control", expected: "a UNet ControlNet, not a \(control.network)", found: [])
            }
            let residuals = try controlNet.residuals(control, for: input, recorder: recorder)
            guard residuals.output.count == encoder.skipWidths.count else {
                throw DiffusionInputError(model: "UNet", input: "control",
                                          expected: "a ControlNet with \(encoder.skipWidths.count) encoder outputs, not \(residuals.output.count)", found: [])
            }
            return residuals
        }
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

import LoomModelFiles
import LoomVulkan

/// InstantX / Shakker-Labs Flux ControlNets (union and single-mode, diffusers key names), computing what
/// ComfyUI's `ControlNetFlux` computes with `latent_input`: the Flux transformer's blocks, read from the
/// file's diffusers names through `ModelWeights.storedNames`, with the hint latent's embedding added to
/// the image tokens, a union mode token before the text tokens, and one projection per block whose output
/// becomes a residual of the main transformer (`FluxControlResiduals`).
public struct FluxControlNet: ControlNetwork {
    public let parameters: FluxControlNetParameters
    let configuration: FluxConfiguration
    let context: VulkanContext
    let embeddings: FluxEmbeddings
    let hintEmbedder: Linear
    /// `controlnet_mode_embedder`, [modes, hidden] in its stored dtype; nil for single-mode models.
    let modeEmbedding: Tensor?
    let doubleBlocks: [FluxDoubleStreamBlock]
    let singleBlocks: [FluxSingleStreamBlock]
    let doubleProjections: [Linear]
    let singleProjections: [Linear]

    public var description: String { "Flux ControlNet\(parameters.unionModeCount.map { " union (\($0) modes)" } ?? "")" }

    /// Loads the ControlNet under `weights.prefix`, whose names are diffusers'.
    public init(weights: ModelWeights, parameters: FluxControlNetParameters) throws {
        let configuration = try FluxConfiguration(parameters.transformer)
        guard parameters.hintChannels == parameters.inChannels else {
            throw FluxModelError.unsupportedShape(
                "controlnet_x_embedder takes \(parameters.hintChannels) channels; Loom runs hint latents of \(parameters.inChannels) (the 17-channel inpainting ControlNet is not supported)")
        }
        var named = weights
        named.storedNames = DiffusersNames.fluxStoredNames(parameters.transformer, prefix: weights.prefix)
        let hidden = parameters.hiddenSize
        self.parameters = parameters
        self.configuration = configuration
        context = weights.context
        embeddings = try FluxEmbeddings(named, parameters.transformer)
        hintEmbedder = try named.linear("controlnet_x_embedder", inputs: parameters.hintChannels, outputs: hidden)
        modeEmbedding = try parameters.unionModeCount.map { modes throws(ModelLoadingError) in
            try named.tensor("controlnet_mode_embedder.weight", shape: [modes, hidden])
        }
        doubleBlocks = try (0..<parameters.doubleBlockCount).map { index throws(ModelLoadingError) in
            try FluxTransformer.doubleBlock(index, named, configuration)
        }
        singleBlocks = try (0..<parameters.singleBlockCount).map { index throws(ModelLoadingError) in
            try FluxTransformer.singleBlock(index, named, configuration)
        }
        doubleProjections = try (0..<parameters.doubleBlockCount).map { index throws(ModelLoadingError) in
            try named.linear("controlnet_blocks.\(index)", inputs: hidden, outputs: hidden)
        }
        singleProjections = try (0..<parameters.singleBlockCount).map { index throws(ModelLoadingError) in
            try named.linear("controlnet_single_blocks.\(index)", inputs: hidden, outputs: hidden)
        }
    }

    /// The residuals for one evaluation of the main transformer on `input` (its state, timestep, context and
    /// pooled vector; `concat` is the main model's alone), scaled by `control.strength`, on the device.
    func residuals(_ control: ControlInput, for input: DiffusionInput, recorder: CommandRecorder) throws -> FluxControlResiduals {
        guard recorder.context === context else {
            throw FluxModelError.control("the ControlNet was loaded on another device than the Flux model")
        }
        let inputs = try FluxInputs(DiffusionInput(x: input.x, timestep: input.timestep, context: input.context, vector: input.vector),
                                    configuration)
        let (rows, columns) = FluxPatching.grid(height: inputs.height, width: inputs.width)
        let hint = try hintTokens(control.hint, batch: inputs.batch, height: inputs.height, width: inputs.width, recorder: recorder)

        let patches = try recorder.packLatents(context.upload(inputs.image.values, shape: inputs.image.shape))
        var image = try recorder.add(embeddings.imageIn(patches, on: recorder), hintEmbedder(hint, on: recorder))
        let vector = try embeddings.conditioningVector(timestep: input.timestep, guidance: control.guidance,
                                                       pooled: context.upload(inputs.pooled.values, shape: inputs.pooled.shape),
                                                       batch: inputs.batch, on: recorder)
        let activatedVector = try recorder.silu(vector)
        var text = try embeddings.textIn(context.upload(inputs.context.values, shape: inputs.context.shape), on: recorder)
        if let mode = try modeTokens(control.controlType, batch: inputs.batch, recorder: recorder) {
            text = try recorder.concatenate([mode, text], axis: 1)
        }
        let textTokens = text.shape[1]
        let table = try FluxPositions.rotaryTable(textTokens: textTokens, rows: rows, columns: columns,
                                                  configuration: configuration, context: context)
        try recorder.submit()

        var double: [Tensor] = []
        for (block, projection) in zip(doubleBlocks, doubleProjections) {
            (image, text) = try block(image: image, text: text, activatedVector: activatedVector, table: table, on: recorder)
            double.append(try scaled(projection(image, on: recorder), by: control.strength, recorder))
            try recorder.submit()
        }
        var joint = try recorder.concatenate([text, image], axis: 1)
        var single: [Tensor] = []
        for (block, projection) in zip(singleBlocks, singleProjections) {
            joint = try block(joint, activatedVector: activatedVector, table: table, on: recorder)
            let imageTokens = try joint.sliced(axis: 1, textTokens..<joint.shape[1])
            single.append(try scaled(projection(imageTokens, on: recorder), by: control.strength, recorder))
            try recorder.submit()
        }
        return FluxControlResiduals(double: double, single: single)
    }

    private func scaled(_ x: Tensor, by strength: Float, _ recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        strength == 1 ? x : try recorder.scaled(x, by: strength)
    }

    /// The hint latent broadcast to the batch as ComfyUI's `broadcast_image_to` does, padded to whole patches
    /// and packed: [B, tokens, hintChannels].
    private func hintTokens(_ hint: HostTensor, batch: Int, height: Int, width: Int, recorder: CommandRecorder) throws -> Tensor {
        let channels = parameters.hintChannels / (FluxPatching.patchSize * FluxPatching.patchSize)
        guard hint.rank == 4, hint.shape[0] > 0, hint.shape[1] == channels, hint.shape[2] == height, hint.shape[3] == width else {
            throw FluxModelError.input(name: "hint", expected: "[batch, \(channels), \(height), \(width)] (the latent's size)", found: hint.shape)
        }
        let padded = FluxPatching.paddedInput(ControlInput.broadcast(hint, to: batch), concat: nil)
        return try recorder.packLatents(context.upload(padded.values, shape: padded.shape))
    }

    /// The union mode's embedding as one token per batch item, [B, 1, hidden]; nil without a mode (or for a
    /// single-mode model, which ignores it as ComfyUI does).
    private func modeTokens(_ controlType: [Int], batch: Int, recorder: CommandRecorder) throws -> Tensor? {
        guard let modeEmbedding, !controlType.isEmpty else { return nil }
        let modes = modeEmbedding.shape[0]
        guard controlType.count == 1, (0..<modes).contains(controlType[0]) else {
            throw FluxModelError.control("union type \(controlType) is not one of this ControlNet's \(modes) modes (0–\(modes - 1))")
        }
        let token = try recorder.embedding(modeEmbedding, ids: controlType).reshaped([1, 1, parameters.hiddenSize])
        return batch == 1 ? token : try recorder.concatenate(Array(repeating: token, count: batch), axis: 0)
    }
}

/// One ControlNet's residuals for one evaluation, already scaled by its strength. ComfyUI's `ControlNetFlux`
/// hands the main model 19 double-block and 38 single-block residuals (the sizes of Flux dev, whatever the main
/// model's depth) made by repeating its own: each output `ceil(19 / count)` times in a row for the InstantX
/// models (`latent_input`).
struct FluxControlResiduals {
    static let mainDoubleBlocks = 19
    static let mainSingleBlocks = 38

    let double: [Tensor]
    let single: [Tensor]

    /// The residual added after main double block `index`, if any.
    func afterDoubleBlock(_ index: Int) -> Tensor? {
        Self.slot(index, of: double.count, covering: Self.mainDoubleBlocks).map { double[$0] }
    }

    /// The residual added to the image tokens after main single block `index`, if any.
    func afterSingleBlock(_ index: Int) -> Tensor? {
        Self.slot(index, of: single.count, covering: Self.mainSingleBlocks).map { single[$0] }
    }

    /// Which of `count` residuals main block `index` gets when each repeats `ceil(blocks / count)` times and the
    /// list is cut to `blocks`.
    static func slot(_ index: Int, of count: Int, covering blocks: Int) -> Int? {
        guard count > 0, index >= 0, index < blocks else { return nil }
        let repeats = (blocks + count - 1) / count
        return index / repeats
    }
}

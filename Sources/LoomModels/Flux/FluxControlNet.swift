import LoomModelFiles
import LoomVulkan

/// Flux ControlNets, computing what ComfyUI's `ControlNetFlux` computes: the Flux transformer's blocks with the hint's
/// embedding added to the image tokens, a union mode token before the text tokens, and one projection per block whose
/// output becomes a residual of the main transformer (`FluxControlResiduals`). InstantX / Shakker-Labs / Alimama files
/// (diffusers names, read through `ModelWeights.storedNames`) take the hint as a VAE latent (`latent_input`); XLabs
/// files (BFL names) take the picture through `input_hint_block`'s convolutions.
public struct FluxControlNet: ControlNetwork {
    public let parameters: FluxControlNetParameters
    let configuration: FluxConfiguration
    let context: VulkanContext
    let embeddings: FluxEmbeddings
    let hintEmbedder: Linear
    /// XLabs' `input_hint_block`: eight 3×3 convolutions, SiLU between, stride 2 at the third, fifth and seventh.
    let hintEncoder: [Convolution]
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
        guard parameters.hintChannels % 4 == 0, parameters.hintChannels >= parameters.inChannels else {
            throw FluxModelError.unsupportedShape("controlnet_x_embedder takes \(parameters.hintChannels) channels, not 2×2 patches of a hint latent")
        }
        var named = weights
        if parameters.layout == .instantX {
            named.storedNames = DiffusersNames.fluxStoredNames(parameters.transformer, prefix: weights.prefix)
        }
        let hidden = parameters.hiddenSize
        self.parameters = parameters
        self.configuration = configuration
        context = weights.context
        embeddings = try FluxEmbeddings(named, parameters.transformer)
        let xlabs = parameters.layout == .xlabs
        hintEmbedder = try named.linear(xlabs ? "pos_embed_input" : "controlnet_x_embedder", inputs: parameters.hintChannels, outputs: hidden)
        var convolutions: [Convolution] = []
        if xlabs {
            var inputs = 3
            for index in 0..<8 {
                let name = "input_hint_block.\(2 * index)"
                let outputs = try named.shape(of: name + ".weight").first ?? 0
                convolutions.append(try Convolution(named, name, inputs: inputs, outputs: outputs, kernel: 3,
                                                    Convolution2DParameters(stride: [2, 4, 6].contains(index) ? 2 : 1, padding: 1)))
                inputs = outputs
            }
            guard inputs * 4 == parameters.hintChannels else {
                throw FluxModelError.unsupportedShape("input_hint_block gives \(inputs) channels; pos_embed_input takes 2×2 patches of \(parameters.hintChannels / 4)")
            }
        }
        hintEncoder = convolutions
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
        let hint = parameters.layout == .xlabs
            ? try pictureTokens(control.hint, batch: inputs.batch, height: inputs.height, width: inputs.width, recorder: recorder)
            : try hintTokens(control.hint, batch: inputs.batch, height: inputs.height, width: inputs.width, recorder: recorder)

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
        return FluxControlResiduals(double: double, single: single, repeatsInTurn: parameters.layout == .xlabs)
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

    /// XLabs: the picture ([B, 3, 8·height, 8·width] in [0, 1]) as `2x − 1` through the hint encoder, packed:
    /// [B, tokens, hintChannels]. ComfyUI does not pad it, so the latent must have even sides.
    private func pictureTokens(_ hint: HostTensor, batch: Int, height: Int, width: Int, recorder: CommandRecorder) throws -> Tensor {
        guard hint.rank == 4, hint.shape[0] > 0, hint.shape[1] == 3, hint.shape[2] == 8 * height, hint.shape[3] == 8 * width else {
            throw FluxModelError.input(name: "hint", expected: "[batch, 3, \(8 * height), \(8 * width)] (8 × the latent)", found: hint.shape)
        }
        guard height % 2 == 0, width % 2 == 0 else {
            throw FluxModelError.control("an XLabs ControlNet needs a latent of even height and width, not \(height) × \(width) (ComfyUI fails too)")
        }
        let pictures = ControlInput.broadcast(hint, to: batch)
        var x = try context.upload(pictures.values.map { $0 * 2 - 1 }, shape: pictures.shape)
        for (index, convolution) in hintEncoder.enumerated() {
            x = try convolution(x, on: recorder)
            if index < hintEncoder.count - 1 { x = try recorder.silu(x) }
        }
        return try recorder.packLatents(x)
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
/// models (`latent_input`), the whole list over and over for XLabs ones.
struct FluxControlResiduals {
    static let mainDoubleBlocks = 19
    static let mainSingleBlocks = 38

    let double: [Tensor]
    let single: [Tensor]
    /// XLabs: main block j gets residual j mod count.
    let repeatsInTurn: Bool

    /// The residual added after main double block `index`, if any.
    func afterDoubleBlock(_ index: Int) -> Tensor? {
        Self.slot(index, of: double.count, covering: Self.mainDoubleBlocks, inTurn: repeatsInTurn).map { double[$0] }
    }

    /// The residual added to the image tokens after main single block `index`, if any.
    func afterSingleBlock(_ index: Int) -> Tensor? {
        Self.slot(index, of: single.count, covering: Self.mainSingleBlocks, inTurn: repeatsInTurn).map { single[$0] }
    }

    /// Which of `count` residuals main block `index` gets when each repeats `ceil(blocks / count)` times — in a row, or
    /// the list in turn — and the list is cut to `blocks`.
    static func slot(_ index: Int, of count: Int, covering blocks: Int, inTurn: Bool = false) -> Int? {
        guard count > 0, index >= 0, index < blocks else { return nil }
        if inTurn { return index % count }
        let repeats = (blocks + count - 1) / count
        return index / repeats
    }
}

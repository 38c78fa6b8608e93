import LoomModelFiles
import LoomVulkan

/// The Flux diffusion transformer (dev, schnell, Fill) on Vulkan, computing what ComfyUI's
/// `comfy/ldm/flux/model.py` computes: f32 activations, weights read in their stored dtype.
public struct FluxTransformer: DiffusionNetwork {
    /// ComfyUI's Flux model uses guidance 3.5 when the conditioning sets none.
    public static let defaultGuidance: Float = 3.5

    public let configuration: FluxConfiguration
    public let memoryPlan: FluxMemoryPlan
    let weights: ModelWeights
    let embeddings: FluxEmbeddings
    let finalLayer: FluxFinalLayer
    let residentDoubleBlocks: [FluxDoubleStreamBlock]
    let residentSingleBlocks: [FluxSingleStreamBlock]

    public var latentChannels: Int { configuration.latentChannels }
    public var concatChannels: Int { configuration.concatChannels }
    public var usesGuidance: Bool { configuration.parameters.hasGuidanceEmbedding }

    /// Loads the transformer whose tensors `weights` points at (its prefix included).
    /// - Parameter weightBudgetBytes: device memory the weights may keep; blocks beyond it are
    ///   streamed (`FluxMemoryPlan`). Defaults to three quarters of the device-local heap less what
    ///   is already allocated, leaving room for activations.
    public init(weights: ModelWeights, parameters: FluxParameters, weightBudgetBytes: Int? = nil) throws {
        let configuration = try FluxConfiguration(parameters)
        let device = weights.context.device
        let budget = weightBudgetBytes ?? (device.deviceLocalMemoryBytes / 4 * 3 - device.allocatedMemoryBytes)
        self.configuration = configuration
        self.weights = weights
        let plan = FluxMemoryPlan(file: weights.file, prefix: weights.prefix, configuration: configuration, budgetBytes: budget)
        memoryPlan = plan
        embeddings = try FluxEmbeddings(weights, parameters)
        finalLayer = try FluxFinalLayer(weights, configuration)
        let doubleCount = parameters.doubleBlockCount
        var doubles: [FluxDoubleStreamBlock] = []
        var singles: [FluxSingleStreamBlock] = []
        for index in 0..<plan.residentBlockCount {
            if index < doubleCount {
                doubles.append(try Self.doubleBlock(index, weights, configuration))
            } else {
                singles.append(try Self.singleBlock(index - doubleCount, weights, configuration))
            }
        }
        residentDoubleBlocks = doubles
        residentSingleBlocks = singles
    }

    public func prediction(for input: DiffusionInput) async throws -> HostTensor {
        try evaluate(input, trace: nil)
    }

    /// Dispatches and pipeline barriers the first double-stream and the first single-stream block
    /// record in one evaluation of `input` (`loom bench flux` reports them).
    public func blockDispatches(for input: DiffusionInput) throws -> FluxBlockDispatches {
        var tally = FluxBlockDispatches()
        _ = try evaluate(input, trace: nil) { single, dispatches, barriers in
            if single, tally.single == nil { tally.single = .init(dispatches: dispatches, barriers: barriers) }
            if !single, tally.double == nil { tally.double = .init(dispatches: dispatches, barriers: barriers) }
        }
        return tally
    }

    /// One evaluation; `trace` sees the named intermediate tensors (`img_in`, `txt_in`, `vec`,
    /// `double_N_img`, `double_N_txt`, `single_N`) once they hold their values.
    /// `tally` gets each block's dispatch and barrier counts (true for single-stream blocks).
    func evaluate(_ input: DiffusionInput, trace: ((String, Tensor) throws -> Void)?,
                  tally: ((_ single: Bool, _ dispatches: Int, _ barriers: Int) -> Void)? = nil) throws -> HostTensor {
        let inputs = try FluxInputs(input, configuration)
        let context = weights.context
        let p = configuration.parameters
        let (rows, columns) = FluxPatching.grid(height: inputs.height, width: inputs.width)
        let recorder = try context.makeRecorder()
        let controls = try controlResiduals(input, recorder: recorder)

        let patches = try recorder.packLatents(context.upload(inputs.image.values, shape: inputs.image.shape))
        var image = try embeddings.imageIn(patches, on: recorder)
        var text = try embeddings.textIn(context.upload(inputs.context.values, shape: inputs.context.shape), on: recorder)
        let vector = try embeddings.conditioningVector(timestep: input.timestep, guidance: input.guidance ?? Self.defaultGuidance,
                                           pooled: context.upload(inputs.pooled.values, shape: inputs.pooled.shape),
                                           batch: inputs.batch, on: recorder)
        let activatedVector = try recorder.silu(vector)
        let textTokens = inputs.context.shape[1]
        let table = try FluxPositions.rotaryTable(textTokens: textTokens, rows: rows, columns: columns,
                                                  configuration: configuration, context: context)
        let bias = try input.attentionMask?.queryRunBias(imageTokens: rows * columns, context: context)
        try recorder.submit()
        try trace?("img_in", image)
        try trace?("txt_in", text)
        try trace?("vec", vector)

        // One submit per block: a streamed block's weights and the previous activations are
        // released as soon as the device is done with them.
        for index in 0..<p.doubleBlockCount {
            let block = index < residentDoubleBlocks.count
                ? residentDoubleBlocks[index] : try Self.doubleBlock(index, weights, configuration)
            let before = (recorder.dispatchCount, recorder.barrierCount)
            (image, text) = try block(image: image, text: text, activatedVector: activatedVector, table: table, bias: bias, on: recorder)
            tally?(false, recorder.dispatchCount - before.0, recorder.barrierCount - before.1)
            for residual in controls.compactMap({ $0.afterDoubleBlock(index) }) {
                image = try recorder.add(image, residual)
            }
            try recorder.submit()
            try trace?("double_\(index)_img", image)
            try trace?("double_\(index)_txt", text)
        }
        var joint = try recorder.concatenate([text, image], axis: 1)
        for index in 0..<p.singleBlockCount {
            let block = index < residentSingleBlocks.count
                ? residentSingleBlocks[index] : try Self.singleBlock(index, weights, configuration)
            let before = (recorder.dispatchCount, recorder.barrierCount)
            joint = try block(joint, activatedVector: activatedVector, table: table, bias: bias, on: recorder)
            tally?(true, recorder.dispatchCount - before.0, recorder.barrierCount - before.1)
            for residual in controls.compactMap({ $0.afterSingleBlock(index) }) {
                // In place on the image tokens; the text tokens get nothing.
                let imageTokens = try joint.sliced(axis: 1, textTokens..<joint.shape[1])
                try recorder.copy(recorder.add(imageTokens, residual), into: imageTokens)
            }
            try recorder.submit()
            try trace?("single_\(index)", joint)
        }
        let imageTokens = try joint.sliced(axis: 1, textTokens..<joint.shape[1])
        let output = try finalLayer(imageTokens, activatedVector: activatedVector, on: recorder)
        let latent = try recorder.unpackLatents(output, height: rows, width: columns)
        try recorder.submit()
        return FluxPatching.cropped(try context.download(latent), shape: latent.shape, height: inputs.height, width: inputs.width)
    }

    /// The residuals of the ControlNets in `input.controls`, computed before the main blocks run.
    private func controlResiduals(_ input: DiffusionInput, recorder: CommandRecorder) throws -> [FluxControlResiduals] {
        let (rows, columns) = FluxPatching.grid(height: input.x.shape[2], width: input.x.shape[3])
        return try input.controls.map { control in
            guard let controlNet = control.network as? FluxControlNet else {
                throw FluxModelError.control("a \(control.network) cannot steer a Flux model")
            }
            guard controlNet.parameters.hiddenSize == configuration.hiddenSize else {
                throw FluxModelError.control("its hidden size \(controlNet.parameters.hiddenSize) differs from the Flux model's \(configuration.hiddenSize)")
            }
            let residuals = try controlNet.residuals(control, for: input, recorder: recorder)
            if let first = residuals.double.first ?? residuals.single.first, first.shape[1] != rows * columns {
                throw FluxModelError.control("its \(first.shape[1]) image tokens differ from the model's \(rows * columns)")
            }
            return residuals
        }
    }

    static func doubleBlock(_ index: Int, _ weights: ModelWeights, _ c: FluxConfiguration) throws(ModelLoadingError) -> FluxDoubleStreamBlock {
        try FluxDoubleStreamBlock(weights.scoped("double_blocks.\(index)."), c)
    }

    static func singleBlock(_ index: Int, _ weights: ModelWeights, _ c: FluxConfiguration) throws(ModelLoadingError) -> FluxSingleStreamBlock {
        try FluxSingleStreamBlock(weights.scoped("single_blocks.\(index)."), c)
    }
}

/// A `DiffusionInput` checked against the model and brought to the shapes it runs on: conditioning
/// with a batch of 1 repeated to the latent's batch (as ComfyUI repeats conds), the pooled vector
/// cut to the model's width (zeros when absent), and the latent joined with `concat` and padded.
struct FluxInputs {
    let batch: Int
    let height: Int
    let width: Int
    /// [B, latent + concat channels, even H, even W].
    let image: HostTensor
    let context: HostTensor
    let pooled: HostTensor

    init(_ input: DiffusionInput, _ c: FluxConfiguration) throws(FluxModelError) {
        let p = c.parameters
        let x = input.x
        guard x.rank == 4, x.shape[1] == c.latentChannels, x.shape[0] > 0, x.shape[2] > 0, x.shape[3] > 0 else {
            throw .input(name: "x", expected: "[batch, \(c.latentChannels), height, width]", found: x.shape)
        }
        batch = x.shape[0]
        height = x.shape[2]
        width = x.shape[3]
        guard input.context.rank == 3, input.context.shape[2] == p.contextDimension, input.context.shape[1] > 0 else {
            throw .input(name: "context", expected: "[batch, tokens, \(p.contextDimension)]", found: input.context.shape)
        }
        context = try Self.repeated(input.context, to: batch, "context")
        if let pooled = input.vector {
            guard pooled.rank == 2, pooled.shape[1] >= p.pooledDimension else {
                throw .input(name: "vector", expected: "[batch, \(p.pooledDimension)]", found: pooled.shape)
            }
            let pooledWidth = pooled.shape[1]
            let cut = (0..<pooled.shape[0]).flatMap { pooled.values[($0 * pooledWidth)..<($0 * pooledWidth + p.pooledDimension)] }
            self.pooled = try Self.repeated(HostTensor(shape: [pooled.shape[0], p.pooledDimension], values: cut), to: batch, "pooled")
        } else {
            pooled = HostTensor(zeros: [batch, p.pooledDimension])
        }
        var concat: HostTensor?
        if c.concatChannels > 0 {
            let expected = "[batch, \(c.concatChannels), \(height), \(width)]"
            guard let given = input.concat else { throw .input(name: "concat", expected: expected, found: []) }
            guard given.rank == 4, given.shape[1] == c.concatChannels, given.shape[2] == height, given.shape[3] == width else {
                throw .input(name: "concat", expected: expected, found: given.shape)
            }
            concat = try Self.repeated(given, to: batch, "concat")
        } else if let given = input.concat {
            throw .input(name: "concat", expected: "none (this Flux model takes no extra channels)", found: given.shape)
        }
        image = FluxPatching.paddedInput(x, concat: concat)
        if let mask = input.attentionMask, mask.textTokens != input.context.shape[1] {
            throw .input(name: "attention_mask", expected: "a mask over the context's \(input.context.shape[1]) tokens and the image",
                         found: [mask.textTokens])
        }
    }

    private static func repeated(_ t: HostTensor, to batch: Int, _ name: String) throws(FluxModelError) -> HostTensor {
        guard let repeated = t.repeatingBatch(to: batch) else {
            var expected = t.shape
            expected[0] = batch
            throw .input(name: name, expected: "\(expected) (or a batch of 1)", found: t.shape)
        }
        return repeated
    }
}

/// The hyper-parameters of a latent-diffusion UNet (SD1.x, SD2.x, SDXL and its refiner, their
/// inpainting forms) in the original LDM/SGM key layout (`input_blocks.N`, `middle_block`,
/// `output_blocks.N`, `time_embed`, `label_emb`, `out`), read from tensor shapes as ComfyUI's
/// `detect_unet_config` reads them.
public struct UNetParameters: Sendable, Hashable {
    /// How each spatial transformer splits its width into attention heads. Not in the weights:
    /// ComfyUI's model configurations give SD1.x (1×1-convolution projections) 8 heads and every
    /// model with linear projections (SD2.x, SDXL) heads of 64 channels.
    public enum AttentionHeads: Sendable, Hashable {
        case count(Int)
        case channels(Int)

        /// Heads and head width for a transformer over `width` channels, nil when they do not divide it.
        public func split(_ width: Int) -> (heads: Int, headDimension: Int)? {
            switch self {
            case .count(let heads):
                guard heads > 0, width % heads == 0, width >= heads else { return nil }
                return (heads, width / heads)
            case .channels(let channels):
                guard channels > 0, width % channels == 0, width >= channels else { return nil }
                return (width / channels, channels)
            }
        }
    }

    /// What sits between the encoder and decoder halves.
    public enum MiddleBlock: Sendable, Hashable {
        /// Res block, spatial transformer of `depth` blocks, res block.
        case transformer(depth: Int)
        /// A single res block (ComfyUI's `transformer_depth_middle = -1`).
        case resBlock
        case none
    }

    /// Latent plus concatenated channels: 4, 9 for inpainting (mask 1 + masked latent 4), 8 for instruct-pix2pix.
    public let inChannels: Int
    public let outChannels: Int
    /// The width of the first level and of the sinusoidal timestep embedding.
    public let modelChannels: Int
    /// Per level, highest resolution first; level widths are `modelChannels · multiplier`.
    public let channelMultipliers: [Int]
    /// Res blocks per level in the encoder half (the decoder half has one more per level).
    public let resBlockCounts: [Int]
    /// Transformer blocks after each encoder res block, level by level (ComfyUI's `transformer_depth`).
    public let inputTransformerDepths: [Int]
    /// Transformer blocks in each decoder block, `output_blocks.0` first.
    public let outputTransformerDepths: [Int]
    public let middleBlock: MiddleBlock
    /// Width of the cross-attention tokens (768 SD1.x, 1024 SD2.x, 2048 SDXL, 1280 refiner); nil without transformers.
    public let contextDimension: Int?
    /// Linear `proj_in`/`proj_out` (SD2.x, SDXL) rather than 1×1 convolutions (SD1.x).
    public let usesLinearProjection: Bool
    /// Width of SDXL's ADM vector `y` fed to `label_emb` (2816 base, 2560 refiner); nil without `label_emb`.
    public let admInChannels: Int?
    public let attentionHeads: AttentionHeads

    public var timeEmbeddingDimension: Int { 4 * modelChannels }
    public var levelCount: Int { channelMultipliers.count }
    public func levelWidth(_ level: Int) -> Int { modelChannels * channelMultipliers[level] }

    public init(inChannels: Int, outChannels: Int, modelChannels: Int, channelMultipliers: [Int], resBlockCounts: [Int],
                inputTransformerDepths: [Int], outputTransformerDepths: [Int], middleBlock: MiddleBlock,
                contextDimension: Int?, usesLinearProjection: Bool, admInChannels: Int?, attentionHeads: AttentionHeads) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.modelChannels = modelChannels
        self.channelMultipliers = channelMultipliers
        self.resBlockCounts = resBlockCounts
        self.inputTransformerDepths = inputTransformerDepths
        self.outputTransformerDepths = outputTransformerDepths
        self.middleBlock = middleBlock
        self.contextDimension = contextDimension
        self.usesLinearProjection = usesLinearProjection
        self.admInChannels = admInChannels
        self.attentionHeads = attentionHeads
    }
}

extension UNetParameters {
    /// The parameters of the UNet under `view`'s prefix, nil when the tensors are not a complete
    /// LDM UNet (a ControlNet shares the encoder's names but has no decoder).
    init?(_ view: ShapeView) {
        guard view.contains("out.2.weight"), !view.contains("input_hint_block.0.weight") else { return nil }
        self.init(view, decoder: true)
    }

    /// The encoder half (time embedding, input blocks, middle block) of the UNet under `view`'s prefix, as a
    /// ControlNet copies it: no output blocks, output channels equal to the input's.
    init?(encoderOf view: ShapeView) {
        self.init(view, decoder: false)
    }

    private init?(_ view: ShapeView, decoder: Bool) {
        guard let convIn = view.shape("input_blocks.0.0.weight", rank: 4), view.contains("time_embed.0.weight") else { return nil }
        let out = view.shape("out.2.weight", rank: 4)
        if decoder && out == nil { return nil }
        let modelChannels = convIn[0]
        guard modelChannels > 0 else { return nil }

        var multipliers: [Int] = []
        var resBlocks: [Int] = []
        var inputDepths: [Int] = []
        var blocksInLevel = 0
        var levelWidth = 0
        var contextDimension: Int?
        var usesLinear = false
        let inputCount = view.blockCount("input_blocks.")
        for index in 1..<max(inputCount, 1) {
            let block = "input_blocks.\(index)."
            if view.contains(block + "0.op.weight") {
                // A downsampling convolution closes the level.
                multipliers.append(levelWidth / modelChannels)
                resBlocks.append(blocksInLevel)
                blocksInLevel = 0
            } else if let width = view.shape(block + "0.out_layers.3.weight", rank: 4) {
                blocksInLevel += 1
                levelWidth = width[0]
                let depth = view.blockCount(block + "1.transformer_blocks.")
                inputDepths.append(depth)
                if depth > 0, contextDimension == nil {
                    contextDimension = view.shape(block + "1.transformer_blocks.0.attn2.to_k.weight", rank: 2)?[1]
                    usesLinear = view.shape(block + "1.proj_in.weight", rank: 2) != nil
                }
            } else {
                return nil
            }
        }
        guard blocksInLevel > 0, levelWidth % modelChannels == 0 else { return nil }
        multipliers.append(levelWidth / modelChannels)
        resBlocks.append(blocksInLevel)

        // Each decoder level has one block more than its encoder level: it also takes the skip of
        // the encoder's downsampling (or of conv_in).
        let outputCount = view.blockCount("output_blocks.")
        guard outputCount == (decoder ? resBlocks.reduce(0, { $0 + $1 + 1 }) : 0) else { return nil }
        let outputDepths = (0..<outputCount).map { view.blockCount("output_blocks.\($0).1.transformer_blocks.") }
        if contextDimension == nil, let depth = outputDepths.firstIndex(where: { $0 > 0 }) {
            contextDimension = view.shape("output_blocks.\(depth).1.transformer_blocks.0.attn2.to_k.weight", rank: 2)?[1]
            usesLinear = view.shape("output_blocks.\(depth).1.proj_in.weight", rank: 2) != nil
        }

        let middle: MiddleBlock
        if view.contains("middle_block.1.proj_in.weight") {
            middle = .transformer(depth: view.blockCount("middle_block.1.transformer_blocks."))
            if contextDimension == nil {
                contextDimension = view.shape("middle_block.1.transformer_blocks.0.attn2.to_k.weight", rank: 2)?[1]
                usesLinear = view.shape("middle_block.1.proj_in.weight", rank: 2) != nil
            }
        } else if view.contains("middle_block.0.in_layers.0.weight") {
            middle = .resBlock
        } else {
            middle = .none
        }

        self.init(
            inChannels: convIn[1], outChannels: out?[0] ?? convIn[1], modelChannels: modelChannels, channelMultipliers: multipliers,
            resBlockCounts: resBlocks, inputTransformerDepths: inputDepths, outputTransformerDepths: outputDepths,
            middleBlock: middle, contextDimension: contextDimension, usesLinearProjection: usesLinear,
            admInChannels: view.shape("label_emb.0.0.weight", rank: 2)?[1],
            attentionHeads: usesLinear ? .channels(64) : .count(8))
    }
}

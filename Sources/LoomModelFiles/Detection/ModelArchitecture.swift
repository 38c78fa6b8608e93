/// What a set of tensors is, with the hyper-parameters its shapes determine. Sizes are never
/// assumed: a small test model with the real key layout reports its own small sizes.
public enum ModelArchitecture: Sendable, Hashable, CustomStringConvertible {
    case flux(FluxParameters)
    case unet(UNetParameters)
    case autoencoder(AutoencoderParameters)
    case clipText(CLIPTextParameters)
    case t5Encoder(T5EncoderParameters)
    case siglipVision(VisionTransformerParameters)
    case clipVision(VisionTransformerParameters)
    case fluxRedux(FluxReduxParameters)
    case fluxControlNet(FluxControlNetParameters)
    case unetControlNet(UNetControlNetParameters)
    case openPoseBody(OpenPoseParameters)
    case openPoseHand(OpenPoseParameters)
    case lora(LoRAParameters)

    public var description: String {
        switch self {
        case .flux(let p):
            "Flux \(p.variant.rawValue) (hidden \(p.hiddenSize), \(p.headCount) heads, \(p.doubleBlockCount)+\(p.singleBlockCount) blocks)"
        case .unet(let p):
            "UNet (\(p.inChannels) input channels, width \(p.modelChannels) × \(p.channelMultipliers), context \(p.contextDimension.map(String.init) ?? "none")"
                + "\(p.admInChannels.map { ", ADM \($0)" } ?? ""), \(p.usesLinearProjection ? "linear" : "convolution") projections)"
        case .autoencoder(let p):
            "AutoencoderKL (\(p.latentChannels) latent channels\(p.latentChannels == 16 ? ", Flux AE layout" : ""), \(p.channelMultipliers.count) levels)"
        case .clipText(let p): "CLIP text (width \(p.width), \(p.layerCount) layers)"
        case .t5Encoder(let p): "T5 encoder (d_model \(p.modelDimension), \(p.layerCount) layers, \(p.headCount) heads)"
        case .siglipVision(let p): "SigLIP vision (hidden \(p.hiddenSize), \(p.layerCount) layers, \(p.imageSize) px)"
        case .clipVision(let p): "CLIP vision (hidden \(p.hiddenSize), \(p.layerCount) layers, \(p.imageSize) px)"
        case .fluxRedux(let p): "Flux Redux (\(p.inputDimension) → \(p.outputDimension))"
        case .fluxControlNet(let p):
            "Flux ControlNet\(p.layout == .xlabs ? " (XLabs)" : "")\(p.unionModeCount.map { " union (\($0) modes)" } ?? "") (\(p.doubleBlockCount)+\(p.singleBlockCount) blocks)"
        case .unetControlNet(let p):
            "UNet ControlNet\(p.layout == .diffusers ? " (diffusers)" : "")\(p.unionControlTypeCount.map { " union (\($0) control types)" } ?? "") (\(p.unet.inChannels) input channels, width \(p.unet.modelChannels) × \(p.unet.channelMultipliers), hint \(p.hintChannels) channels)"
        case .openPoseBody(let p): "OpenPose body (\(p.stageCount) stages)"
        case .openPoseHand(let p): "OpenPose hand (\(p.stageCount) stages)"
        case .lora(let p): "LoRA (\(p.naming.rawValue) naming, \(p.baseModel), rank \(p.rank), \(p.moduleCount) modules)"
        }
    }
}

/// One model found in a file; all-in-one checkpoints hold several under different key prefixes.
public struct DetectedModel: Sendable, Hashable {
    /// The key prefix the model's tensors carry in the file, e.g. `model.diffusion_model.`; empty for none.
    public let prefix: String
    public let architecture: ModelArchitecture

    public init(prefix: String, architecture: ModelArchitecture) {
        self.prefix = prefix
        self.architecture = architecture
    }
}

public struct FluxParameters: Sendable, Hashable {
    public enum Variant: String, Sendable {
        /// Guidance-distilled: has `guidance_in`.
        case dev
        /// Timestep-distilled: no guidance embedding.
        case schnell
        /// Inpainting: 384 input channels (latent 64 + masked-image latent 64 + mask 256).
        case fill
    }
    public let variant: Variant
    public let inChannels: Int
    public let outChannels: Int
    public let hiddenSize: Int
    public let headDimension: Int
    public var headCount: Int { hiddenSize / headDimension }
    public let mlpHiddenSize: Int
    public let doubleBlockCount: Int
    public let singleBlockCount: Int
    /// Width of the text-token input (T5's d_model).
    public let contextDimension: Int
    /// Width of the pooled vector input (CLIP-L's pooled output).
    public let pooledDimension: Int
    public let hasGuidanceEmbedding: Bool

    /// The same transformer with `img_in` taking `count` inputs: what BFL's Canny and Depth LoRAs make of Flux dev.
    public func withInputChannels(_ count: Int) -> FluxParameters {
        FluxParameters(variant: variant, inChannels: count, outChannels: outChannels, hiddenSize: hiddenSize, headDimension: headDimension,
                       mlpHiddenSize: mlpHiddenSize, doubleBlockCount: doubleBlockCount, singleBlockCount: singleBlockCount,
                       contextDimension: contextDimension, pooledDimension: pooledDimension, hasGuidanceEmbedding: hasGuidanceEmbedding)
    }
}

public struct AutoencoderParameters: Sendable, Hashable {
    public let latentChannels: Int
    public let imageChannels: Int
    public let baseChannels: Int
    /// Per resolution level, highest resolution first.
    public let channelMultipliers: [Int]
    public let encoderResBlockCount: Int?
    public let decoderResBlockCount: Int?
    public var hasEncoder: Bool { encoderResBlockCount != nil }
    public var hasDecoder: Bool { decoderResBlockCount != nil }
}

public struct CLIPTextParameters: Sendable, Hashable {
    public let width: Int
    public let layerCount: Int
    public let mlpHiddenSize: Int
    public let vocabularySize: Int
    public let maximumPositions: Int
    public let hasProjection: Bool
}

public struct T5EncoderParameters: Sendable, Hashable {
    public let modelDimension: Int
    public let layerCount: Int
    /// From the relative attention bias table, which has one column per head.
    public let headCount: Int
    public let headDimension: Int
    public let feedForwardSize: Int
    /// v1.1 (`wi_0`/`wi_1`, gated GELU) rather than the original ReLU `wi`.
    public let isGated: Bool
    public let relativeAttentionBuckets: Int
    public let vocabularySize: Int?
}

public struct VisionTransformerParameters: Sendable, Hashable {
    public let hiddenSize: Int
    public let layerCount: Int
    public let mlpHiddenSize: Int
    public let patchSize: Int
    public let imageSize: Int
}

public struct FluxReduxParameters: Sendable, Hashable {
    public let inputDimension: Int
    public let hiddenSize: Int
    public let outputDimension: Int
}

public struct FluxControlNetParameters: Sendable, Hashable {
    /// How the file names its tensors and takes its hint.
    public enum Layout: String, Sendable {
        /// InstantX / Shakker-Labs / Alimama (diffusers names): the hint is a VAE latent (`controlnet_x_embedder`).
        case instantX
        /// XLabs (BFL names): the hint is a picture through `input_hint_block` convolutions (`pos_embed_input`).
        case xlabs
    }
    public let layout: Layout
    public let hiddenSize: Int
    public let headDimension: Int
    public var headCount: Int { hiddenSize / headDimension }
    public let mlpHiddenSize: Int
    /// Inputs of `x_embedder`: the packed noisy latent (64).
    public let inChannels: Int
    /// Inputs of `controlnet_x_embedder` / `pos_embed_input`: the packed hint (64; 68 with an inpainting mask channel).
    public let hintChannels: Int
    public let doubleBlockCount: Int
    public let singleBlockCount: Int
    public let contextDimension: Int
    public let pooledDimension: Int
    public let hasGuidanceEmbedding: Bool
    /// Number of modes of a union ControlNet's `controlnet_mode_embedder`; nil for single-mode ones.
    public let unionModeCount: Int?

    public init(hiddenSize: Int, headDimension: Int, mlpHiddenSize: Int, inChannels: Int, hintChannels: Int,
                doubleBlockCount: Int, singleBlockCount: Int, contextDimension: Int, pooledDimension: Int,
                hasGuidanceEmbedding: Bool, unionModeCount: Int?, layout: Layout = .instantX) {
        self.layout = layout
        self.hiddenSize = hiddenSize
        self.headDimension = headDimension
        self.mlpHiddenSize = mlpHiddenSize
        self.inChannels = inChannels
        self.hintChannels = hintChannels
        self.doubleBlockCount = doubleBlockCount
        self.singleBlockCount = singleBlockCount
        self.contextDimension = contextDimension
        self.pooledDimension = pooledDimension
        self.hasGuidanceEmbedding = hasGuidanceEmbedding
        self.unionModeCount = unionModeCount
    }

    /// The Flux transformer the ControlNet's blocks form (it has no final layer; its output width is its input's).
    public var transformer: FluxParameters {
        FluxParameters(
            variant: hasGuidanceEmbedding ? .dev : .schnell, inChannels: inChannels, outChannels: inChannels,
            hiddenSize: hiddenSize, headDimension: headDimension, mlpHiddenSize: mlpHiddenSize,
            doubleBlockCount: doubleBlockCount, singleBlockCount: singleBlockCount,
            contextDimension: contextDimension, pooledDimension: pooledDimension, hasGuidanceEmbedding: hasGuidanceEmbedding)
    }
}

public struct UNetControlNetParameters: Sendable, Hashable {
    public enum Layout: String, Sendable {
        /// `cldm` names (`zero_convs.N.0`, `input_hint_block.N`, `input_blocks.N`), as lllyasviel's `.pth` files.
        case ldm
        /// diffusers' `ControlNetModel` names (`controlnet_down_blocks.N`, `controlnet_cond_embedding.*`, `down_blocks.*`),
        /// read through `DiffusersControlNetNames`.
        case diffusers
    }

    /// The encoder half it copies from the UNet it steers (no decoder: `outputTransformerDepths` is empty).
    public let unet: UNetParameters
    /// Channels of the hint picture (3).
    public let hintChannels: Int
    /// Output widths of the hint encoder's convolutions, the last the UNet's model width (16, 16, 32, 32, 96, 96, 256, 320
    /// in the real SD1.5 ones; stride 2 at the third, fifth and seventh).
    public let hintWidths: [Int]
    public let layout: Layout
    /// xinsir's union ControlNet (`task_embedding`, `control_add_embedding`): its number of control types (6, or 8 for
    /// the promax model); nil for a single-purpose ControlNet.
    public let unionControlTypeCount: Int?

    public init(unet: UNetParameters, hintChannels: Int, hintWidths: [Int], layout: Layout = .ldm, unionControlTypeCount: Int? = nil) {
        self.unet = unet
        self.hintChannels = hintChannels
        self.hintWidths = hintWidths
        self.layout = layout
        self.unionControlTypeCount = unionControlTypeCount
    }
}

public struct OpenPoseParameters: Sendable, Hashable {
    public let stageCount: Int
    /// Body: part affinity fields (38 in the real model) and heatmaps (19); hand: heatmaps (22) and no PAFs.
    public let affinityFieldChannels: Int?
    public let heatmapChannels: Int
}

public struct LoRAParameters: Sendable, Hashable {
    public enum Naming: String, Sendable {
        /// `lora_unet_double_blocks_0_img_attn_qkv.lora_down.weight` (kohya sd-scripts).
        case kohya
        /// `diffusion_model.double_blocks.0.img_attn.qkv.lora_A.weight` (ComfyUI / BFL key names).
        case comfyUI
        /// `transformer.transformer_blocks.0.attn.to_q.lora_A.weight` (diffusers / PEFT).
        case diffusers
    }
    public let naming: Naming
    /// "Flux" when the targets are Flux blocks, else "unknown".
    public let baseModel: String
    /// The most common rank among the modules.
    public let rank: Int
    public let moduleCount: Int
}

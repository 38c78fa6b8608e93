import LoomModels
import LoomText

/// ComfyUI's CLIP: the tokenizers and loaded text encoders a loader produced. Encoding is deterministic,
/// so the graph cache serves a repeated prompt without running the encoder again.
public struct TextEncoder: Sendable {
    public enum Kind: Sendable {
        /// DualCLIPLoader `flux`: CLIP-L for the pooled vector, T5-XXL for the token sequence.
        case flux(FluxTextEncoder)
        /// CLIPLoader `stable_diffusion` with a CLIP-L file: SD1.x conditioning.
        case stableDiffusion(PromptTokenizer<CLIPTokenizer>, CLIPTextEncoder)
        /// DualCLIPLoader `sdxl` or an SDXL checkpoint: CLIP-L and CLIP-G (the refiner: CLIP-G alone).
        case sdxl(SDXLTextEncoder)

        /// How messages name it.
        public var name: String {
            switch self {
            case .flux: "a Flux CLIP (CLIP-L + T5-XXL)"
            case .stableDiffusion: "an SD1.x CLIP (CLIP-L)"
            case .sdxl(let encoder): encoder.clipL == nil ? "an SDXL refiner CLIP (CLIP-G)" : "an SDXL CLIP (CLIP-L + CLIP-G)"
            }
        }
    }

    public var kind: Kind
    /// CLIPSetLastLayer's choice for CLIP's token sequences; nil keeps the model's default (the last layer
    /// for SD1.x, the penultimate for SDXL). Flux uses only CLIP-L's pooled output, which always comes
    /// from the last layer, so there it changes nothing (as in ComfyUI).
    public var clipLayer: CLIPTextEncoder.OutputLayer?
    /// The encoders' weights (with their LoRA patches) and kinds, so that LoRA nodes can build them again.
    public var source: TextEncoderSource?

    public init(_ kind: Kind) { self.kind = kind }

    /// CLIPTextEncode: the conditioning of one prompt.
    public func encode(_ text: String) throws -> Conditioning {
        switch kind {
        case .flux(let encoder):
            let (crossAttention, pooled) = try encoder.encode(text)
            return Conditioning([Conditioning.Entry(crossAttention: crossAttention, pooledOutput: pooled)])
        case .stableDiffusion(let tokenizer, let encoder):
            let (crossAttention, pooled) = try encoder.encodeWeighted(
                tokenizer.tokenizeWithWeights(text), padding: encoder.endToken, layer: clipLayer ?? .last, normalizesHidden: true)
            return Conditioning([Conditioning.Entry(crossAttention: crossAttention, pooledOutput: pooled)])
        case .sdxl(let encoder):
            let (crossAttention, pooled) = try encoder.encode(textG: text, textL: text, layer: clipLayer ?? SDXLTextEncoder.defaultLayer)
            return Conditioning([Conditioning.Entry(crossAttention: crossAttention, pooledOutput: pooled)])
        }
    }
}

/// The text encoders of a CLIP and their weights, LoRA patches included.
public struct TextEncoderSource: Sendable {
    public let kinds: [TextEncoderKind]
    public var weights: [TextEncoderKind: ModelWeights]
}

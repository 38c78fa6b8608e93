import LoomText

/// ComfyUI's SDXL text encoder (`SDXLClipModel`): the prompt through CLIP-L and OpenCLIP ViT-G, both
/// read at the penultimate layer without the final layer norm; the token sequences are joined along
/// the width (768 + 1280) and CLIP-G's projected pooled output is the pooled vector. The refiner
/// (`SDXLRefinerClipModel`) has CLIP-G alone.
public struct SDXLTextEncoder: Sendable {
    public let clipL: CLIPTextEncoder?
    public let clipG: CLIPTextEncoder
    public let tokenizerL: PromptTokenizer<CLIPTokenizer>
    public let tokenizerG: PromptTokenizer<CLIPTokenizer>

    public init(clipL: CLIPTextEncoder?, clipG: CLIPTextEncoder, tokenizer: CLIPTokenizer, embeddings: (any EmbeddingResolver)?) {
        self.clipL = clipL
        self.clipG = clipG
        tokenizerL = PromptTokenizer(tokenizer: tokenizer, windowing: .clip, embeddings: embeddings)
        tokenizerG = PromptTokenizer(tokenizer: tokenizer, windowing: .clipG, embeddings: embeddings)
    }

    /// ComfyUI's default layer for both encoders.
    public static let defaultLayer = CLIPTextEncoder.OutputLayer.hidden(-2)

    /// CLIPTextEncode (one prompt) or CLIPTextEncodeSDXL (`textL` for CLIP-L, `textG` for CLIP-G): the
    /// token sequence [1, tokens, widths] and CLIP-G's pooled vector [1, projection width].
    public func encode(textG: String, textL: String, layer: CLIPTextEncoder.OutputLayer = defaultLayer) throws
        -> (crossAttention: HostTensor, pooled: HostTensor) {
        var windowsG = try tokenizerG.tokenizeWithWeights(textG)
        guard let clipL else {
            let (sequence, pooled) = try clipG.encodeWeighted(windowsG, padding: 0, layer: layer, normalizesHidden: false)
            return (sequence, pooled)
        }
        var windowsL = try tokenizerL.tokenizeWithWeights(textL)
        // Prompts of different lengths are evened out with empty windows, as CLIPTextEncodeSDXL does.
        let emptyL = try tokenizerL.tokenizeWithWeights(""), emptyG = try tokenizerG.tokenizeWithWeights("")
        while windowsL.count < windowsG.count { windowsL += emptyL }
        while windowsG.count < windowsL.count { windowsG += emptyG }
        let (sequenceG, pooled) = try clipG.encodeWeighted(windowsG, padding: 0, layer: layer, normalizesHidden: false)
        let (sequenceL, _) = try clipL.encodeWeighted(windowsL, padding: clipL.endToken, layer: layer, normalizesHidden: false)
        return (HostTensor.concatenatingLastAxis(sequenceL, sequenceG), pooled)
    }
}

extension HostTensor {
    /// [b, n, w₁] and [b, m, w₂] joined to [b, min(n, m), w₁ + w₂], as ComfyUI cuts SDXL's sequences.
    static func concatenatingLastAxis(_ first: HostTensor, _ second: HostTensor) -> HostTensor {
        let batch = first.shape[0], length = min(first.shape[1], second.shape[1])
        let (widthA, widthB) = (first.shape[2], second.shape[2])
        var values = [Float]()
        values.reserveCapacity(batch * length * (widthA + widthB))
        for item in 0..<batch {
            for position in 0..<length {
                let a = (item * first.shape[1] + position) * widthA, b = (item * second.shape[1] + position) * widthB
                values += first.values[a..<(a + widthA)]
                values += second.values[b..<(b + widthB)]
            }
        }
        return HostTensor(shape: [batch, length, widthA + widthB], values: values)
    }
}

extension CLIPTextEncoder {
    /// A prompt's weighted windows as ComfyUI's `encode_token_weights` encodes them: the windows (with the
    /// empty prompt — start, end, then `padding` — when weights need it), joined along the tokens, and the
    /// first window's pooled output, projected.
    public func encodeWeighted(_ tokens: [[WeightedToken]], padding: Int, layer: OutputLayer,
                               normalizesHidden: Bool) throws -> (sequence: HostTensor, pooled: HostTensor) {
        let windows = try WeightedWindows(tokens)
        let encoded = try encode(
            windows.batch { [startToken, endToken] + Array(repeating: padding, count: max($0 - 2, 0)) },
            layer: layer, projected: true, normalizesHidden: normalizesHidden)
        let width = encoded.pooled.shape[1]
        return (windows.combine(encoded.hidden), HostTensor(shape: [1, width], values: Array(encoded.pooled.values[0..<width])))
    }
}

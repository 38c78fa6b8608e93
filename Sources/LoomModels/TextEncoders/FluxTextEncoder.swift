import LoomText

/// ComfyUI's Flux text encoder (`FluxClipModel`): the prompt goes through CLIP-L and T5-XXL; the
/// conditioning is T5's token sequence (no length limit, padded to at least 256 tokens) and CLIP-L's
/// pooled output of the first window. CLIP-L's own sequence is not used.
public struct FluxTextEncoder: Sendable {
    public let tokenizer: FluxPromptTokenizer
    public let clipL: CLIPTextEncoder
    public let t5xxl: T5Encoder

    public init(tokenizer: FluxPromptTokenizer, clipL: CLIPTextEncoder, t5xxl: T5Encoder) {
        self.tokenizer = tokenizer
        self.clipL = clipL
        self.t5xxl = t5xxl
    }

    /// The T5 tokens, [1, tokens, d_model], and CLIP-L's pooled vector, [1, width].
    public func encode(_ tokens: FluxPromptTokens) throws -> (crossAttention: HostTensor, pooled: HostTensor) {
        let t5Windows = try WeightedWindows(tokens.t5xxl)
        let t5Output = try t5xxl.encode(t5Windows.batch { [T5Tokenizer.endToken] + Array(repeating: T5Tokenizer.padToken, count: $0 - 1) })
        // Weights change CLIP-L's sequence only, which Flux ignores; its pooled output is that of the
        // unweighted first window.
        let clipWindows = try WeightedWindows(tokens.clipL)
        let pooled = try clipL.encode([clipWindows.ids[0]]).pooled
        return (t5Windows.combine(t5Output), pooled)
    }

    /// CLIPTextEncode: one prompt for both encoders.
    public func encode(_ prompt: String) throws -> (crossAttention: HostTensor, pooled: HostTensor) {
        try encode(tokenizer.tokenize(prompt))
    }

    /// CLIPTextEncodeFlux: a prompt per encoder.
    public func encode(clipL clipPrompt: String, t5xxl t5Prompt: String) throws -> (crossAttention: HostTensor, pooled: HostTensor) {
        try encode(tokenizer.tokenize(clipL: clipPrompt, t5xxl: t5Prompt))
    }
}

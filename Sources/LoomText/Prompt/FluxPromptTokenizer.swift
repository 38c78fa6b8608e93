/// The token windows ComfyUI's Flux text encoder takes: CLIP-L for the pooled vector, T5-XXL for
/// the sequence.
public struct FluxPromptTokens: Equatable, Sendable {
    public var clipL: [[WeightedToken]]
    public var t5xxl: [[WeightedToken]]
}

/// ComfyUI's `FluxTokenizer`: the same prompt syntax through both tokenizers.
public struct FluxPromptTokenizer: Sendable {
    public var clipL: PromptTokenizer<CLIPTokenizer>
    public var t5xxl: PromptTokenizer<T5Tokenizer>

    public init(clipL: CLIPTokenizer, t5xxl: T5Tokenizer, embeddings: (any EmbeddingResolver)? = nil) {
        self.clipL = PromptTokenizer(tokenizer: clipL, windowing: .clip, embeddings: embeddings)
        self.t5xxl = PromptTokenizer(tokenizer: t5xxl, windowing: .fluxT5, embeddings: embeddings)
    }

    /// CLIPTextEncode: one prompt for both encoders.
    public func tokenize(_ prompt: String) throws(PromptTokenizerError) -> FluxPromptTokens {
        try tokenize(clipL: prompt, t5xxl: prompt)
    }

    /// CLIPTextEncodeFlux: a prompt per encoder.
    public func tokenize(clipL clipPrompt: String, t5xxl t5Prompt: String) throws(PromptTokenizerError) -> FluxPromptTokens {
        FluxPromptTokens(clipL: try clipL.tokenizeWithWeights(clipPrompt), t5xxl: try t5xxl.tokenizeWithWeights(t5Prompt))
    }
}

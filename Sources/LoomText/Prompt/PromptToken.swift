/// One position of a text encoder's input as ComfyUI's `tokenize_with_weights` produces it.
public struct WeightedToken: Hashable, Sendable {
    public enum Content: Hashable, Sendable {
        case id(Int)
        /// Vector `index` of a textual-inversion embedding, spliced in place of a token.
        case embedding(name: String, index: Int)
    }

    public var content: Content
    public var weight: Double

    public init(_ content: Content, weight: Double = 1.0) {
        self.content = content
        self.weight = weight
    }
}

/// Tokenizers that turn plain text into ids without start or end tokens.
public protocol TextTokenizer: Sendable {
    func encode(_ text: String) -> [Int]
}

extension CLIPTokenizer: TextTokenizer {}
extension T5Tokenizer: TextTokenizer {}

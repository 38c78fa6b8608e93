import Foundation

/// ComfyUI's `tokenize_with_weights`: parses emphasis, splits out `embedding:name` words,
/// tokenizes each run separately and packs the tokens into encoder windows.
public struct PromptTokenizer<Tokenizer: TextTokenizer>: Sendable {
    public var tokenizer: Tokenizer
    public var windowing: PromptWindowing
    /// Without a resolver `embedding:` is ordinary text, as in ComfyUI without an embeddings folder.
    public var embeddings: (any EmbeddingResolver)?

    private static var marker: [Unicode.Scalar] { Array("embedding:".unicodeScalars) }

    public init(tokenizer: Tokenizer, windowing: PromptWindowing, embeddings: (any EmbeddingResolver)? = nil) {
        self.tokenizer = tokenizer
        self.windowing = windowing
        self.embeddings = embeddings
    }

    /// The windows of (token, weight) pairs, start, end and padding tokens included.
    public func tokenizeWithWeights(_ prompt: String) throws(PromptTokenizerError) -> [[WeightedToken]] {
        var words: [[WeightedToken]] = []
        for segment in PromptWeighting.segments(of: prompt) {
            for var word in Self.splitAtEmbeddings(segment.text) {
                if let embeddings, word.hasScalarPrefix("embedding:") {
                    let name = Array(word.unicodeScalars.dropFirst(Self.marker.count))
                    let reference = EmbeddingReference(PythonText.strip(name.string, characters: ["\n"]))
                    let embedding = try resolve(reference, with: embeddings)
                    words.append((0..<embedding.vectorCount).map { WeightedToken(.embedding(name: embedding.name, index: $0), weight: segment.weight) })
                    guard !embedding.leftover.isEmpty else { continue }
                    word = embedding.leftover
                }
                words.append(tokenizer.encode(word).map { WeightedToken(.id($0), weight: segment.weight) })
            }
        }
        return windowing.windows(of: words)
    }

    private func resolve(_ reference: EmbeddingReference, with embeddings: any EmbeddingResolver) throws(PromptTokenizerError) -> (name: String, vectorCount: Int, leftover: String) {
        if let count = try embeddings.vectorCount(ofEmbeddingNamed: reference.name) {
            return (reference.name, count, reference.leftover)
        }
        if let stripped = reference.commaStripped, let count = try embeddings.vectorCount(ofEmbeddingNamed: stripped.name) {
            return (stripped.name, count, stripped.leftover)
        }
        throw .missingEmbedding(name: reference.name, searched: embeddings.searchedDirectories.map(\.path))
    }

    /// Python's `re.split(r"(?<=\s)embedding:")`, keeping the marker on the following pieces and
    /// dropping empty ones.
    static func splitAtEmbeddings(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        let marker = Self.marker
        var pieces: [String] = []
        var pieceStart = 0
        var index = 1
        while index + marker.count <= scalars.count {
            if PythonText.isSpace(scalars[index - 1]), scalars[index..<(index + marker.count)].elementsEqual(marker) {
                pieces.append(Array(scalars[pieceStart..<index]).string)
                pieceStart = index
                index += marker.count
            } else {
                index += 1
            }
        }
        pieces.append(Array(scalars[pieceStart...]).string)
        return pieces.filter { !$0.isEmpty }
    }
}

/// The text after `embedding:` split as ComfyUI does: the name is the first whitespace-separated
/// word, cut before any `<` or `[`; the rest is tokenized as ordinary text. A name with commas
/// around it is tried again without them, the commas then joining the leftover text.
struct EmbeddingReference {
    var name: String
    var leftover: String
    /// The name without surrounding commas and the leftover it implies, when that differs.
    var commaStripped: (name: String, leftover: String)?

    init(_ text: String) {
        let words = PythonText.split(text)
        name = words.first.map(String.init) ?? ""
        leftover = words.dropFirst().joined(separator: " ")
        if let cut = name.unicodeScalars.firstIndex(where: { $0 == "<" || $0 == "[" }) {
            leftover = String(name.unicodeScalars[cut...]) + (leftover.isEmpty ? "" : " " + leftover)
            name = String(name.unicodeScalars[..<cut])
        }
        let stripped = PythonText.strip(name, characters: [","])
        if stripped.unicodeScalars.count < name.unicodeScalars.count {
            // ComfyUI keeps the scalars after the stripped name's length (odd when commas lead).
            let tail = String(name.unicodeScalars.dropFirst(stripped.unicodeScalars.count))
            commaStripped = (stripped, "\(tail) \(leftover)")
        }
    }
}

public enum PromptTokenizerError: Error, Equatable, CustomStringConvertible {
    case missingEmbedding(name: String, searched: [String])
    case unreadableEmbedding(name: String, reason: String)

    public var description: String {
        switch self {
        case .missingEmbedding(let name, let searched):
            "the prompt uses embedding:\(name), but no file \(name), \(name).safetensors, \(name).pt or \(name).bin exists in "
                + (searched.isEmpty ? "any embeddings folder (none is configured)" : searched.joined(separator: ", "))
        case .unreadableEmbedding(let name, let reason): "cannot read embedding \(name): \(reason)"
        }
    }
}

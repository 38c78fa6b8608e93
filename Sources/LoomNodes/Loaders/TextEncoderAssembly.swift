import LoomGraph
import LoomModels
import LoomText

/// Builds ComfyUI's CLIP object for a set of text encoders (a family's, or a CLIP loader's type) from
/// their weights, wherever those come from: separate files or one checkpoint.
enum TextEncoderAssembly {
    static func textEncoder(_ kinds: [TextEncoderKind], weights: [TextEncoderKind: ModelWeights],
                            resources: Resources) throws -> TextEncoder {
        var encoder = try assemble(kinds, weights: weights, resources: resources)
        encoder.source = TextEncoderSource(kinds: kinds, weights: weights.filter { kinds.contains($0.key) })
        return encoder
    }

    private static func assemble(_ kinds: [TextEncoderKind], weights: [TextEncoderKind: ModelWeights],
                                 resources: Resources) throws -> TextEncoder {
        func part(_ kind: TextEncoderKind) throws -> ModelWeights {
            guard let found = weights[kind] else { throw TextEncoderAssemblyError.missing(kind) }
            return found
        }
        let clipTokenizer = try CLIPTokenizer.bundled()
        let embeddings = TextEncoderFiles.embeddings(resources: resources, key: "clip_l")
        switch kinds {
        case [.clipL, .t5xxl]:
            let t5 = try part(.t5xxl)
            let t5Encoder = try T5Encoder(weights: t5)
            let tokenizer = FluxPromptTokenizer(
                clipL: clipTokenizer,
                t5xxl: try TextEncoderFiles.t5Tokenizer(for: t5.file, modelVocabulary: t5Encoder.vocabularySize, resources: resources),
                embeddings: embeddings)
            return TextEncoder(.flux(FluxTextEncoder(
                tokenizer: tokenizer, clipL: try CLIPTextEncoder(weights: try part(.clipL)), t5xxl: t5Encoder)))
        case [.clipL]:
            let tokenizer = PromptTokenizer(tokenizer: clipTokenizer, windowing: .clip, embeddings: embeddings)
            return TextEncoder(.stableDiffusion(tokenizer, try CLIPTextEncoder(weights: try part(.clipL))))
        case [.clipL, .clipG], [.clipG]:
            let clipL = try weights[.clipL].map { try CLIPTextEncoder(weights: $0) }
            let clipG = try CLIPTextEncoder(weights: try part(.clipG), activation: .gelu)
            return TextEncoder(.sdxl(SDXLTextEncoder(clipL: clipL, clipG: clipG, tokenizer: clipTokenizer, embeddings: embeddings)))
        default:
            throw TextEncoderAssemblyError.unsupported(kinds)
        }
    }
}

enum TextEncoderAssemblyError: Error, CustomStringConvertible {
    case missing(TextEncoderKind)
    case unsupported([TextEncoderKind])

    var description: String {
        switch self {
        case .missing(let kind): "no \(kind.rawValue) text encoder was found"
        case .unsupported(let kinds): "Loom cannot yet encode text with \(kinds.map(\.rawValue).joined(separator: " + "))"
        }
    }
}

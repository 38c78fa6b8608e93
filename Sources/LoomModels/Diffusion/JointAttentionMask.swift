/// ComfyUI's `attention_mask` conditioning for Flux, as its StyleModelApply builds it: an additive bias on the
/// attention logits over the joint sequence [text tokens | image tokens].
///
/// ComfyUI keeps a dense float16 [T + 1, T + 1] matrix whose last row and column stand for the image
/// (`attention_mask_img_shape` is 1 × 1) and, when sampling, stretches that row and column bilinearly over the
/// latent's token grid (`comfy/utils.py` `upscale_dit_mask`). Every value StyleModelApply writes is the same
/// across the prompt's tokens and across each style model's tokens, and a bilinear stretch of a single pixel
/// repeats it, so the dense mask is constant on blocks: segments of consecutive tokens, one value per
/// (query segment, key segment). Loom keeps exactly those blocks.
///
/// One difference: ComfyUI's bilinear stretch turns a −∞ entry (strength 0) into NaN wherever an interpolation
/// weight is 0 (0 · ∞), which makes its output NaN; Loom keeps −∞, so strength 0 removes the tokens from
/// attention as the bias intends.
public struct JointAttentionMask: Sendable, Equatable {
    /// Token counts of the text-side segments in sequence order: the conditioning's tokens when the mask was
    /// created, then each style model's tokens.
    public private(set) var textSegments: [Int]
    /// `bias[q][k]`: the bias from every query of segment q to every key of segment k; the segments are
    /// `textSegments` followed by the image.
    public private(set) var bias: [[Float]]

    /// The all-zero mask ComfyUI creates for `textTokens` text tokens when a conditioning has none.
    public init(textTokens: Int) {
        textSegments = [textTokens]
        bias = [[0, 0], [0, 0]]
    }

    /// A mask from its parts (a stored one); nil unless `bias` is square with one row per segment and the image.
    public init?(textSegments: [Int], bias: [[Float]]) {
        guard !textSegments.isEmpty, textSegments.allSatisfy({ $0 >= 0 }), bias.count == textSegments.count + 1,
              bias.allSatisfy({ $0.count == bias.count }) else { return nil }
        self.textSegments = textSegments
        self.bias = bias
    }

    public var textTokens: Int { textSegments.reduce(0, +) }

    /// Whether the mask adds nothing: attention with it is attention without it.
    public var isZero: Bool { bias.allSatisfy { $0.allSatisfy { $0 == 0 } } }

    /// `count` tokens appended after the text tokens (before the image), as StyleModelApply inserts a style
    /// model's: every existing query attends to them with `bias` (rounded to float16, as ComfyUI's mask is
    /// stored), and their own queries have no bias toward anything.
    public mutating func appendTokens(_ count: Int, bias value: Float) {
        let rounded = Float(Float16(value))
        let image = textSegments.count
        textSegments.append(count)
        for row in bias.indices { bias[row].insert(rounded, at: image) }
        bias.insert([Float](repeating: 0, count: textSegments.count + 1), at: image)
    }

    /// Segment lengths over a joint sequence with `imageTokens` image tokens.
    public func segmentLengths(imageTokens: Int) -> [Int] { textSegments + [imageTokens] }

    /// The dense [L, L] matrix over a sequence of `textTokens + imageTokens` tokens, row-major (what ComfyUI's
    /// model receives; for references and tests).
    public func dense(imageTokens: Int) -> [Float] {
        let segment = segmentLengths(imageTokens: imageTokens).enumerated().flatMap { Array(repeating: $0.offset, count: $0.element) }
        return segment.flatMap { query in segment.map { key in bias[query][key] } }
    }
}

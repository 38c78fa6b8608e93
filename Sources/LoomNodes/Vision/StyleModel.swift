import LoomModels

/// ComfyUI's STYLE_MODEL: what turns a CLIP_VISION_OUTPUT into extra conditioning tokens.
public enum StyleModel: Sendable {
    /// Flux Redux: SigLIP's last hidden state projected to the text encoder's width.
    case redux(ReduxImageEncoder)

    /// The tokens `output` contributes, [B, L, width].
    func tokens(for output: VisionEncoderOutput) throws -> HostTensor {
        switch self {
        case .redux(let encoder): try encoder(output.lastHiddenState)
        }
    }

    /// Every image's tokens in one sequence, [1, B·L, width], as the style-model nodes flatten the batch.
    func tokenSequence(for output: VisionEncoderOutput) throws -> HostTensor {
        let tokens = try tokens(for: output)
        return HostTensor(shape: [1, tokens.shape[0] * tokens.shape[1], tokens.shape[2]], values: tokens.values)
    }
}

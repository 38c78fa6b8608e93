import LoomModelFiles

/// Everything the Flux transformer needs to know about one checkpoint, derived from its tensor
/// shapes (`FluxParameters` from the detector) so that small test models run the real code path.
public struct FluxConfiguration: Sendable, Hashable {
    public let parameters: FluxParameters
    /// Head-dimension share of each RoPE axis (index, row, column).
    public let rotaryAxes: [Int]
    public let theta: Double = 10_000
    /// Latent channels after unpatching (`out_channels / 4`; 16 for Flux).
    public let latentChannels: Int
    /// Channels concatenated to the latent before patching (`in_channels / 4 − latentChannels`; 80 for Fill).
    public let concatChannels: Int

    public var hiddenSize: Int { parameters.hiddenSize }
    public var headCount: Int { parameters.headCount }
    public var headDimension: Int { parameters.headDimension }

    public init(_ parameters: FluxParameters) throws(FluxModelError) {
        let p = parameters
        guard p.headDimension > 0, p.hiddenSize % p.headDimension == 0, p.headDimension % 4 == 0 else {
            throw .unsupportedShape("hidden size \(p.hiddenSize) with head dimension \(p.headDimension) (needs whole heads of a multiple of 4)")
        }
        guard p.inChannels % 4 == 0, p.outChannels % 4 == 0, p.inChannels >= p.outChannels else {
            throw .unsupportedShape("\(p.inChannels) input and \(p.outChannels) output channels are not 2×2 patches of a latent")
        }
        guard p.mlpHiddenSize > 0, p.doubleBlockCount + p.singleBlockCount > 0 else {
            throw .unsupportedShape("no transformer blocks")
        }
        self.parameters = p
        rotaryAxes = Self.rotaryAxes(headDimension: p.headDimension)
        latentChannels = p.outChannels / 4
        concatChannels = p.inChannels / 4 - p.outChannels / 4
    }

    /// Flux splits a head of 128 into axes (16, 56, 56). Other head sizes (test models) keep the
    /// proportions: the row and column axes get 2·⌊(D − D/8)/4⌋ each and the index axis the rest,
    /// so every axis is even and 128 gives Flux's split exactly (16 → (4, 6, 6), 32 → (4, 14, 14)).
    public static func rotaryAxes(headDimension d: Int) -> [Int] {
        let side = 2 * ((d - d / 8) / 4)
        return [d - 2 * side, side, side]
    }
}

/// A Flux checkpoint or input that the transformer cannot work with.
public enum FluxModelError: Error, Sendable, Equatable, CustomStringConvertible {
    case unsupportedShape(String)
    /// An input tensor (`x`, `context`, `pooled`, `concat`) does not have the shape the model needs.
    case input(name: String, expected: String, found: [Int])
    /// A ControlNet that cannot steer this model or this input.
    case control(String)

    public var description: String {
        switch self {
        case .unsupportedShape(let reason): "unsupported Flux model: \(reason)"
        case .input(let name, let expected, let found): "Flux input '\(name)' has shape \(found), expected \(expected)"
        case .control(let reason): "Flux ControlNet: \(reason)"
        }
    }
}

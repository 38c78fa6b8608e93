import LoomText

/// Token windows with ComfyUI's prompt weights, ready for an encoder, and the weighting ComfyUI's
/// `encode_token_weights` applies afterwards: when any weight differs from 1, the empty prompt of the
/// same length is encoded in the same batch and every weighted token's output becomes
/// z = (z − z_empty)·w + z_empty; the windows' outputs are then joined along the token axis.
public struct WeightedWindows: Sendable, Equatable {
    public let ids: [[Int]]
    public let weights: [[Double]]

    /// Windows as the prompt tokenizer produced them; every window must have the same length.
    public init(_ windows: [[WeightedToken]]) throws(TextEncoderError) {
        var ids: [[Int]] = []
        for window in windows {
            ids.append(try window.map { (token) throws(TextEncoderError) -> Int in
                guard case .id(let id) = token.content else {
                    throw .invalidTokens("the prompt uses a textual-inversion embedding, which Loom's text encoders do not apply")
                }
                return id
            })
        }
        guard let first = ids.first, !first.isEmpty, ids.allSatisfy({ $0.count == first.count }) else {
            throw .invalidTokens("token windows must be non-empty and of equal length, got lengths \(ids.map(\.count))")
        }
        self.ids = ids
        weights = windows.map { $0.map(\.weight) }
    }

    public var length: Int { ids[0].count }
    public var isWeighted: Bool { weights.joined().contains { $0 != 1 } }

    /// What to encode in one batch: the windows, then the empty prompt (`emptyPrompt(length)`) when
    /// weights need it.
    public func batch(emptyPrompt: (Int) -> [Int]) -> [[Int]] {
        isWeighted ? ids + [emptyPrompt(length)] : ids
    }

    /// The weighted windows joined into [1, windows·length, width] from the encoder's output for `batch`,
    /// [batch, length, width].
    public func combine(_ encoded: HostTensor) -> HostTensor {
        let (windowCount, length) = (ids.count, self.length)
        let width = encoded.shape[2]
        precondition(encoded.shape == [windowCount + (isWeighted ? 1 : 0), length, width], "encoded \(encoded.shape) does not fit the windows")
        var values = Array(encoded.values[0..<(windowCount * length * width)])
        if isWeighted {
            let empty = windowCount * length * width
            for window in 0..<windowCount {
                for position in 0..<length where weights[window][position] != 1 {
                    let weight = Float(weights[window][position])
                    let row = (window * length + position) * width
                    for column in 0..<width {
                        let reference = encoded.values[empty + position * width + column]
                        values[row + column] = (values[row + column] - reference) * weight + reference
                    }
                }
            }
        }
        return HostTensor(shape: [1, windowCount * length, width], values: values)
    }
}

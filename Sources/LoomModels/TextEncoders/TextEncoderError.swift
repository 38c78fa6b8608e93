/// Input a text encoder cannot take.
public enum TextEncoderError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidTokens(String)
    /// A CLIP layer index (CLIPSetLastLayer's) outside the model.
    case unknownLayer(Int, layerCount: Int)

    public var description: String {
        switch self {
        case .invalidTokens(let message): message
        case .unknownLayer(let index, let layerCount): "CLIP layer \(index) does not exist in a \(layerCount)-layer model"
        }
    }
}

/// Token input a text encoder cannot take.
public enum TextEncoderError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidTokens(String)

    public var description: String {
        switch self {
        case .invalidTokens(let message): message
        }
    }
}

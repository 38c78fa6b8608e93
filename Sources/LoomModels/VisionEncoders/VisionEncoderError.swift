/// Input a vision model or its projector cannot take.
public enum VisionEncoderError: Error, CustomStringConvertible {
    case invalidPixels(String)
    case invalidImage(String)
    case invalidTokens(String)

    public var description: String {
        switch self {
        case .invalidPixels(let message), .invalidImage(let message), .invalidTokens(let message): message
        }
    }
}

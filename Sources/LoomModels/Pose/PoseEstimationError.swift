/// A pose estimator given something it cannot work on.
public enum PoseEstimationError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidInput(let message): message
        }
    }
}

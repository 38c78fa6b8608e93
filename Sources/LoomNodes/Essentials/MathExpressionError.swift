/// Why a SimpleMath+ expression could not be read or evaluated.
enum MathExpressionError: Error, Equatable, CustomStringConvertible {
    /// Not a Python expression of the supported kind, with the position (in characters) it stops at.
    case syntax(String, position: Int)
    /// A Python runtime error (TypeError, ZeroDivisionError, ...) the node would raise.
    case evaluation(String)

    var description: String {
        switch self {
        case .syntax(let message, let position): "\(message) at character \(position + 1)"
        case .evaluation(let message): message
        }
    }
}

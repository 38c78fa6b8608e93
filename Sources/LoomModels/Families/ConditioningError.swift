/// A conditioning that cannot become a network's inputs.
public struct ConditioningError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A `DiffusionInput` tensor whose shape does not fit the network it is given to.
public struct DiffusionInputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The network, e.g. "UNet".
    public let model: String
    /// `x`, `context`, `vector` or `concat`.
    public let input: String
    public let expected: String
    /// The shape given; empty when the input is missing.
    public let found: [Int]

    public var description: String {
        found.isEmpty ? "\(model) input '\(input)' is missing, expected \(expected)"
            : "\(model) input '\(input)' has shape \(found), expected \(expected)"
    }
}

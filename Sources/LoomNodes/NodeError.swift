/// A node that could not do its work, with a message naming the node class and what went wrong.
public struct NodeError: Error, Sendable, CustomStringConvertible {
    public var node: String
    public var message: String

    public init(_ node: String, _ message: String) {
        self.node = node
        self.message = message
    }

    public var description: String { "\(node): \(message)" }
}

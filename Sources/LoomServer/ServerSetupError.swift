/// Why a server could not be set up, such as a folder it cannot create.
public struct ServerSetupError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

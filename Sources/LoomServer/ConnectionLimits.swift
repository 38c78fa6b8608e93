/// What one client's connections may hold of the server, so that slow, idle or malformed ones cannot take it
/// from everyone else. Requests past the header limits are answered 400 and closed; idle connections are closed.
public struct ConnectionLimits: Sendable {
    /// Open connections at most; further ones wait in the listen backlog until one closes.
    public var maxConnections = 512
    /// A connection that sends nothing (or no complete request head) for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// The longest header line, the most bytes of header lines, and the most header lines of one request.
    public var maxHeaderFieldSize = 16 * 1024
    public var maxHeaderListSize = 64 * 1024
    public var maxHeaderFieldCount = 100

    public init() {}
}

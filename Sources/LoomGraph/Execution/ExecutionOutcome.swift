/// How a prompt ended, and what its output nodes produced.
public struct ExecutionOutcome: Sendable {
    public enum Status: Sendable {
        case succeeded
        case failed(ExecutionFailure)
        case interrupted(node: String?)
    }

    public var promptID: String
    public var status: Status
    /// The UI results of output nodes by node id, as ComfyUI's history records them.
    public var outputs: [String: JSONObject]
    /// Nodes that ran this time, in order.
    public var executedNodes: [String]
    /// Nodes whose outputs were in the cache when the run started (ComfyUI's `execution_cached` list).
    public var cachedNodes: [String]
    /// The values each output node read through its links, by node id and input name (a SaveImage's `images`),
    /// for hosts that want the data rather than the files. Shared with the cache, not copied.
    public var outputNodeInputs: [String: [String: [NodeValue]]] = [:]

    public var succeeded: Bool { if case .succeeded = status { true } else { false } }
}

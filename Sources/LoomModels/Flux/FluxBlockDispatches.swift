/// How many dispatches and pipeline barriers one Flux block records: fewer means less launch and
/// synchronisation overhead per block on GPUs.
public struct FluxBlockDispatches: Sendable, Encodable {
    public struct Count: Sendable, Encodable {
        public let dispatches: Int
        public let barriers: Int
    }

    /// The first double-stream block; nil when the model has none.
    public var double: Count?
    /// The first single-stream block; nil when the model has none.
    public var single: Count?
}

import Synchronization

/// The outputs of one node execution: a list of values per output slot, and what it showed.
public struct NodeOutput: Sendable {
    public var slots: [[NodeValue]]
    public var ui: JSONObject?

    public init(slots: [[NodeValue]], ui: JSONObject? = nil) {
        self.slots = slots
        self.ui = ui
    }
}

/// Where outputs are kept between executions, keyed by signature.
public protocol OutputCache: Sendable {
    func output(for signature: Signature) -> NodeOutput?
    func store(_ output: NodeOutput, for signature: Signature)
    func removeAll()
    var count: Int { get }
}

/// How many outputs to keep in memory across prompts.
public enum CachePolicy: Sendable, Equatable {
    /// Keep nothing beyond the running prompt (ComfyUI's `--cache-none`).
    case none
    /// Keep the most recently used `count` outputs (ComfyUI's `--cache-lru N`).
    case leastRecentlyUsed(count: Int)
    /// Keep everything until cleared.
    case unbounded
}

/// An in-memory cache following a `CachePolicy`.
public final class MemoryOutputCache: OutputCache {
    private struct State {
        var entries: [Signature: (output: NodeOutput, lastUse: UInt64)] = [:]
        var clock: UInt64 = 0
    }
    private let state = Mutex(State())
    public let policy: CachePolicy

    public init(policy: CachePolicy = .unbounded) {
        self.policy = policy
    }

    public func output(for signature: Signature) -> NodeOutput? {
        state.withLock { state in
            guard let entry = state.entries[signature] else { return nil }
            state.clock += 1
            state.entries[signature]!.lastUse = state.clock
            return entry.output
        }
    }

    public func store(_ output: NodeOutput, for signature: Signature) {
        state.withLock { state in
            switch policy {
            case .none:
                return
            case .unbounded:
                break
            case .leastRecentlyUsed(let count):
                if state.entries[signature] == nil, state.entries.count >= count,
                    let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })
                {
                    state.entries[oldest.key] = nil
                }
                if count <= 0 { return }
            }
            state.clock += 1
            state.entries[signature] = (output, state.clock)
        }
    }

    public func removeAll() {
        state.withLock { $0.entries.removeAll() }
    }

    public var count: Int { state.withLock { $0.entries.count } }
}

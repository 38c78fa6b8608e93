import Synchronization

/// An in-memory cache following a `CachePolicy`. Outputs of any workflow share it, so switching between
/// workflows keeps what both use, as far as the policy allows.
public final class MemoryOutputCache: OutputCache {
    private struct Entry {
        var output: NodeOutput
        var bytes: Int
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Signature: Entry] = [:]
        var clock: UInt64 = 0
        var bytes = 0
        var statistics = CacheStatistics()
    }

    private let state = Mutex(State())
    public let policy: CachePolicy

    public init(policy: CachePolicy = .unbounded) {
        self.policy = policy
    }

    public func output(for signature: Signature) -> NodeOutput? {
        state.withLock { state in
            guard var entry = state.entries[signature] else {
                state.statistics.misses += 1
                return nil
            }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[signature] = entry
            state.statistics.hits += 1
            return entry.output
        }
    }

    public func contains(_ signature: Signature) -> Bool {
        state.withLock { $0.entries[signature] != nil }
    }

    public func store(_ output: NodeOutput, for signature: Signature, persistent: Bool) {
        if case .none = policy { return }
        let bytes = output.memoryFootprint
        state.withLock { state in
            state.clock += 1
            if let old = state.entries[signature] { state.bytes -= old.bytes }
            state.entries[signature] = Entry(output: output, bytes: bytes, lastUse: state.clock)
            state.bytes += bytes
            evict(&state, keeping: signature)
        }
    }

    public func removeAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.bytes = 0
        }
    }

    public var statistics: CacheStatistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.entries = state.entries.count
            statistics.bytes = state.bytes
            return statistics
        }
    }

    /// Evicts until the policy holds again. The entry just stored stays, even when it alone exceeds a budget:
    /// the running prompt is about to read it.
    private func evict(_ state: inout State, keeping kept: Signature) {
        while true {
            let victim: Signature?
            switch policy {
            case .none, .unbounded:
                return
            case .leastRecentlyUsed(let count):
                guard state.entries.count > max(count, 1) else { return }
                victim = state.entries.filter { $0.key != kept }.min { $0.value.lastUse < $1.value.lastUse }?.key
            case .memoryBudget(let budget):
                guard state.bytes > budget else { return }
                // Size × age: a large output unused for a while goes before a small recent one.
                let clock = state.clock
                victim = state.entries.filter { $0.key != kept }
                    .max { Double($0.value.bytes) * Double(clock - $0.value.lastUse) < Double($1.value.bytes) * Double(clock - $1.value.lastUse) }?.key
            }
            guard let victim, let removed = state.entries.removeValue(forKey: victim) else { return }
            state.bytes -= removed.bytes
            state.statistics.evictions += 1
        }
    }
}

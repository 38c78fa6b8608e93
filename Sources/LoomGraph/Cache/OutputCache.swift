/// The outputs of one node execution: a list of values per output slot, and what it showed.
public struct NodeOutput: Sendable {
    public var slots: [[NodeValue]]
    public var ui: JSONObject?

    public init(slots: [[NodeValue]], ui: JSONObject? = nil) {
        self.slots = slots
        self.ui = ui
    }

    /// Bytes held by the values, as far as they tell (`MemoryFootprint`); small values count a little.
    public var memoryFootprint: Int {
        slots.joined().reduce(0) { total, value in total + ((value as? any MemoryFootprint)?.memoryFootprint ?? 64) }
    }
}

/// A value that knows how much memory it holds, so a memory-budget cache and a prompt's memory budget can account
/// for it. Models report their resident size, images their pixel buffers.
public protocol MemoryFootprint {
    var memoryFootprint: Int { get }
    /// The buffers that make up `memoryFootprint`, so a buffer that several values share (a node passing its input
    /// on, conditioning with one extra changed) is counted once; nil counts the footprint as unshared.
    var memoryBuffers: [MemoryBuffer]? { get }
}

extension MemoryFootprint {
    public var memoryBuffers: [MemoryBuffer]? { nil }
}

/// One allocation a value holds, known by its address.
public struct MemoryBuffer: Sendable, Hashable {
    public var address: UInt
    public var bytes: Int

    /// The storage of `array`; copies of an array share it until one is changed.
    public init<Element>(_ array: [Element]) {
        address = array.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        bytes = array.count * MemoryLayout<Element>.stride
    }
}

/// Where outputs are kept between executions, keyed by signature.
public protocol OutputCache: Sendable {
    func output(for signature: Signature) -> NodeOutput?
    /// Whether an output is stored, without loading it.
    func contains(_ signature: Signature) -> Bool
    /// `persistent` allows keeping the output beyond this process (deterministic, cheap-to-store outputs).
    func store(_ output: NodeOutput, for signature: Signature, persistent: Bool)
    func removeAll()
    var statistics: CacheStatistics { get }
}

public struct CacheStatistics: Sendable, Equatable {
    public var entries: Int
    public var bytes: Int
    public var hits: Int
    public var misses: Int
    public var evictions: Int

    public init(entries: Int = 0, bytes: Int = 0, hits: Int = 0, misses: Int = 0, evictions: Int = 0) {
        self.entries = entries
        self.bytes = bytes
        self.hits = hits
        self.misses = misses
        self.evictions = evictions
    }
}

/// How many outputs to keep in memory across prompts.
public enum CachePolicy: Sendable, Equatable {
    /// Keep nothing beyond the running prompt (ComfyUI's `--cache-none`).
    case none
    /// Keep the most recently used `count` outputs (ComfyUI's `--cache-lru N`).
    case leastRecentlyUsed(count: Int)
    /// Keep outputs while their footprint fits in `bytes`, evicting the largest and least recently used first.
    case memoryBudget(bytes: Int)
    /// Keep everything until cleared.
    case unbounded
}

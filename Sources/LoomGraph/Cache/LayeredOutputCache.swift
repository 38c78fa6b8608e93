/// Memory in front of disk: lookups try memory, then disk (and keep what they load in memory);
/// persistent outputs are written to both.
public final class LayeredOutputCache: OutputCache {
    public let memory: MemoryOutputCache
    public let disk: DiskOutputStore

    public init(memory: MemoryOutputCache, disk: DiskOutputStore) {
        self.memory = memory
        self.disk = disk
    }

    public func output(for signature: Signature) -> NodeOutput? {
        if let output = memory.output(for: signature) { return output }
        guard let output = disk.load(signature) else { return nil }
        memory.store(output, for: signature, persistent: false)
        return output
    }

    public func contains(_ signature: Signature) -> Bool {
        memory.contains(signature) || disk.contains(signature)
    }

    public func store(_ output: NodeOutput, for signature: Signature, persistent: Bool) {
        memory.store(output, for: signature, persistent: persistent)
        if persistent { disk.save(output, for: signature) }
    }

    public func removeAll() {
        memory.removeAll()
    }

    public var statistics: CacheStatistics { memory.statistics }
}

import CVulkan

/// A byte range of a `MemoryBlock` holding one tensor's storage; the range returns to its block
/// when the last reference goes away.
public final class DeviceBuffer: Sendable {
    let block: MemoryBlock
    let offset: Int
    public let size: Int

    init(block: MemoryBlock, offset: Int, size: Int) {
        self.block = block
        self.offset = offset
        self.size = size
    }

    deinit { block.release(offset..<(offset + size)) }

    var handle: VkBuffer { block.buffer }

    /// Whether two buffers share bytes (only possible for views of one allocation, but cheap to check).
    func overlaps(_ other: DeviceBuffer) -> Bool {
        block === other.block && offset < other.offset + other.size && other.offset < offset + size
    }
}

import Synchronization

/// Sub-allocates device buffers from large blocks. Requests bigger than a block get a block of
/// their own, freed with them; no single buffer may exceed what one storage binding can cover.
final class MemoryAllocator: Sendable {
    let device: VulkanDevice
    let blockSize: Int
    let alignment: Int
    private let blocks = Mutex<[MemoryBlock]>([])
    /// Bytes that tensors hold now and at most since the last reset.

    init(device: VulkanDevice, preferredBlockSize: Int = 256 << 20) {
        self.device = device
        blockSize = min(preferredBlockSize, device.maxMemoryAllocationSize)
        // Every tensor is bound as a storage buffer and may be read through a texel-buffer view.
        alignment = max(256, device.minStorageBufferOffsetAlignment, device.minTexelBufferOffsetAlignment)
    }

    func allocate(bytes requested: Int) throws(VulkanError) -> DeviceBuffer {
        // Whole 32-bit words: shaders read packed 16-bit data by the word, and a word that pokes
        // out of the bound range reads as zero under bounds checking.
        let bytes = max((requested + 3) & ~3, 4)
        guard bytes <= device.maxStorageBufferRange else {
            throw .tensorTooLarge(bytes: bytes, limit: device.maxStorageBufferRange)
        }
        if bytes > blockSize {
            return DeviceBuffer(block: try MemoryBlock(device: device, size: bytes, hostVisible: false), offset: 0, size: bytes)
        }
        let existing: DeviceBuffer? = blocks.withLock { blocks in
            for block in blocks {
                if let offset = block.allocate(bytes: bytes, alignment: alignment) {
                    return DeviceBuffer(block: block, offset: offset, size: bytes)
                }
            }
            return nil
        }
        if let existing { return existing }
        let block = try MemoryBlock(device: device, size: blockSize, hostVisible: false)
        let offset = block.allocate(bytes: bytes, alignment: alignment)!
        blocks.withLock { $0.append(block) }
        return DeviceBuffer(block: block, offset: offset, size: bytes)
    }

    /// Returns shared blocks that hold no tensor to the driver (after unloading a model, say).
    func releaseUnusedBlocks() {
        blocks.withLock { blocks in blocks.removeAll { $0.freeBytes == $0.size } }
    }

    /// Bytes obtained from the driver in shared blocks.
    var reservedBytes: Int { blocks.withLock { $0.count * blockSize } }
}

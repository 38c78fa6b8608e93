import CVulkan
import Synchronization

/// One `VkDeviceMemory` allocation with a `VkBuffer` spanning it, handing out byte ranges
/// first-fit. Tensors live in ranges of blocks rather than in allocations of their own, since
/// drivers cap the number of allocations and make each one slow.
/// `@unchecked Sendable`: the handles are immutable; the free list is behind a mutex.
final class MemoryBlock: @unchecked Sendable {
    let device: VulkanDevice
    let memory: VkDeviceMemory
    let buffer: VkBuffer
    let size: Int
    let hostVisible: Bool
    /// Host address of the block when it lives in host-visible memory.
    let mapped: UnsafeMutableRawPointer?
    /// Sorted, non-adjacent free ranges.
    private let free: Mutex<[Range<Int>]>

    init(device: VulkanDevice, size: Int, hostVisible: Bool) throws(VulkanError) {
        self.device = device
        self.size = size
        self.hostVisible = hostVisible
        var bufferInfo = VkBufferCreateInfo()
        bufferInfo.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO
        bufferInfo.size = VkDeviceSize(size)
        bufferInfo.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT.rawValue | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT.rawValue
            | VK_BUFFER_USAGE_TRANSFER_SRC_BIT.rawValue | VK_BUFFER_USAGE_TRANSFER_DST_BIT.rawValue
        bufferInfo.sharingMode = VK_SHARING_MODE_EXCLUSIVE
        var buffer: VkBuffer?
        try check(vkCreateBuffer(device.handle, &bufferInfo, nil, &buffer), "vkCreateBuffer")
        var requirements = VkMemoryRequirements()
        vkGetBufferMemoryRequirements(device.handle, buffer, &requirements)
        let hostFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT.rawValue | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT.rawValue
        let type = hostVisible
            ? device.memoryType(typeBits: requirements.memoryTypeBits, required: hostFlags, preferred: VK_MEMORY_PROPERTY_HOST_CACHED_BIT.rawValue)
            : device.memoryType(typeBits: requirements.memoryTypeBits, required: 0, preferred: VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT.rawValue)
        guard let type else {
            vkDestroyBuffer(device.handle, buffer, nil)
            throw .unsupported("a \(hostVisible ? "host-visible coherent" : "storage") memory type")
        }
        var allocateInfo = VkMemoryAllocateInfo()
        allocateInfo.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO
        allocateInfo.allocationSize = requirements.size
        allocateInfo.memoryTypeIndex = type
        var memory: VkDeviceMemory?
        let allocated = vkAllocateMemory(device.handle, &allocateInfo, nil, &memory)
        guard allocated == VK_SUCCESS else {
            vkDestroyBuffer(device.handle, buffer, nil)
            throw VulkanError(result: allocated, call: "vkAllocateMemory")
        }
        do {
            try check(vkBindBufferMemory(device.handle, buffer, memory, 0), "vkBindBufferMemory")
            var pointer: UnsafeMutableRawPointer?
            if hostVisible { try check(vkMapMemory(device.handle, memory, 0, VkDeviceSize(VK_WHOLE_SIZE), 0, &pointer), "vkMapMemory") }
            mapped = pointer
        } catch {
            vkDestroyBuffer(device.handle, buffer, nil)
            vkFreeMemory(device.handle, memory, nil)
            throw error
        }
        self.buffer = buffer!
        self.memory = memory!
        free = Mutex([0..<size])
        if !hostVisible { device.recordAllocation(bytes: size) }
    }

    deinit {
        vkDestroyBuffer(device.handle, buffer, nil)
        vkFreeMemory(device.handle, memory, nil)
        if !hostVisible { device.recordAllocation(bytes: -size) }
    }

    /// Offset of a new range of `bytes` aligned to `alignment`, or nil when no free range fits.
    func allocate(bytes: Int, alignment: Int) -> Int? {
        free.withLock { free in
            for (index, range) in free.enumerated() {
                let start = (range.lowerBound + alignment - 1) / alignment * alignment
                guard start + bytes <= range.upperBound else { continue }
                var pieces: [Range<Int>] = []
                if start > range.lowerBound { pieces.append(range.lowerBound..<start) }
                if start + bytes < range.upperBound { pieces.append((start + bytes)..<range.upperBound) }
                free.replaceSubrange(index...index, with: pieces)
                return start
            }
            return nil
        }
    }

    /// Returns a range handed out by `allocate`, merging it with free neighbours.
    func release(_ range: Range<Int>) {
        free.withLock { free in
            let index = free.firstIndex { $0.lowerBound > range.lowerBound } ?? free.endIndex
            var merged = range
            var replace = index..<index
            if index > free.startIndex, free[index - 1].upperBound == merged.lowerBound {
                merged = free[index - 1].lowerBound..<merged.upperBound
                replace = (index - 1)..<replace.upperBound
            }
            if index < free.endIndex, free[index].lowerBound == merged.upperBound {
                merged = merged.lowerBound..<free[index].upperBound
                replace = replace.lowerBound..<(index + 1)
            }
            free.replaceSubrange(replace, with: [merged])
        }
    }

    var freeBytes: Int { free.withLock { $0.reduce(0) { $0 + $1.count } } }
}

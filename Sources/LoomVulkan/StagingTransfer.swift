import CVulkan
import Foundation

/// Moves bytes between host memory and device buffers through one fixed host-visible staging
/// block, chunk by chunk, so a large source (say a memory-mapped weight file) never needs a
/// second full copy in RAM.
/// `@unchecked Sendable`: the staging block and command buffer are used only under `lock`.
final class StagingTransfer: @unchecked Sendable {
    let device: VulkanDevice
    let staging: MemoryBlock
    let commandPool: VkCommandPool
    let commandBuffer: VkCommandBuffer
    private let lock = NSLock()

    init(device: VulkanDevice, stagingBytes: Int = 16 << 20) throws(VulkanError) {
        self.device = device
        staging = try MemoryBlock(device: device, size: stagingBytes, hostVisible: true)
        (commandPool, commandBuffer) = try makeCommandBuffer(device: device)
    }

    deinit { vkDestroyCommandPool(device.handle, commandPool, nil) }

    func upload(_ source: UnsafeRawBufferPointer, to buffer: DeviceBuffer, byteOffset: Int = 0) throws(VulkanError) {
        guard byteOffset + source.count <= buffer.size else { throw .invalidArgument("upload of \(source.count) bytes overruns a \(buffer.size)-byte buffer") }
        lock.lock()
        defer { lock.unlock() }
        var done = 0
        while done < source.count {
            let chunk = min(staging.size, source.count - done)
            staging.mapped!.copyMemory(from: source.baseAddress! + done, byteCount: chunk)
            try copy(from: staging.buffer, at: 0, to: buffer.handle, at: buffer.offset + byteOffset + done, bytes: chunk)
            done += chunk
        }
    }

    func download(from buffer: DeviceBuffer, byteOffset: Int = 0, into destination: UnsafeMutableRawBufferPointer) throws(VulkanError) {
        guard byteOffset + destination.count <= buffer.size else { throw .invalidArgument("download of \(destination.count) bytes overruns a \(buffer.size)-byte buffer") }
        lock.lock()
        defer { lock.unlock() }
        var done = 0
        while done < destination.count {
            let chunk = min(staging.size, destination.count - done)
            try copy(from: buffer.handle, at: buffer.offset + byteOffset + done, to: staging.buffer, at: 0, bytes: chunk)
            (destination.baseAddress! + done).copyMemory(from: staging.mapped!, byteCount: chunk)
            done += chunk
        }
    }

    private func copy(from source: VkBuffer, at sourceOffset: Int, to destination: VkBuffer, at destinationOffset: Int, bytes: Int) throws(VulkanError) {
        try check(vkResetCommandBuffer(commandBuffer, 0), "vkResetCommandBuffer")
        var begin = VkCommandBufferBeginInfo()
        begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT.rawValue
        try check(vkBeginCommandBuffer(commandBuffer, &begin), "vkBeginCommandBuffer")
        // Earlier compute work may still read or write these bytes; the queue orders submissions
        // but memory visibility between them needs a barrier.
        var barrier = VkMemoryBarrier()
        barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER
        barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT.rawValue | VK_ACCESS_TRANSFER_WRITE_BIT.rawValue
        barrier.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT.rawValue | VK_ACCESS_TRANSFER_WRITE_BIT.rawValue
        vkCmdPipelineBarrier(commandBuffer, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue | VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue,
                             VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue, 0, 1, &barrier, 0, nil, 0, nil)
        var region = VkBufferCopy(srcOffset: VkDeviceSize(sourceOffset), dstOffset: VkDeviceSize(destinationOffset), size: VkDeviceSize(bytes))
        vkCmdCopyBuffer(commandBuffer, source, destination, 1, &region)
        var hostBarrier = VkMemoryBarrier()
        hostBarrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER
        hostBarrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT.rawValue
        hostBarrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT.rawValue | VK_ACCESS_SHADER_READ_BIT.rawValue
        vkCmdPipelineBarrier(commandBuffer, VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue,
                             VK_PIPELINE_STAGE_HOST_BIT.rawValue | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue, 0, 1, &hostBarrier, 0, nil, 0, nil)
        try check(vkEndCommandBuffer(commandBuffer), "vkEndCommandBuffer")
        try device.submitAndWait(commandBuffer)
    }
}

/// A resettable command pool on the device's compute queue family with one primary buffer.
func makeCommandBuffer(device: VulkanDevice) throws(VulkanError) -> (VkCommandPool, VkCommandBuffer) {
    var poolInfo = VkCommandPoolCreateInfo()
    poolInfo.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO
    poolInfo.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT.rawValue
    poolInfo.queueFamilyIndex = device.queueFamily
    var pool: VkCommandPool?
    try check(vkCreateCommandPool(device.handle, &poolInfo, nil, &pool), "vkCreateCommandPool")
    var allocateInfo = VkCommandBufferAllocateInfo()
    allocateInfo.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO
    allocateInfo.commandPool = pool
    allocateInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY
    allocateInfo.commandBufferCount = 1
    var buffer: VkCommandBuffer?
    let result = vkAllocateCommandBuffers(device.handle, &allocateInfo, &buffer)
    guard result == VK_SUCCESS else {
        vkDestroyCommandPool(device.handle, pool, nil)
        throw VulkanError(result: result, call: "vkAllocateCommandBuffers")
    }
    return (pool!, buffer!)
}

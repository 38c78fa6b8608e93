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
        try inChunks(of: source.count) { (done, chunk) throws(VulkanError) in
            staging.mapped!.copyMemory(from: source.baseAddress! + done, byteCount: chunk)
            try copy(from: staging.buffer, at: 0, to: buffer.handle, at: buffer.offset + byteOffset + done, bytes: chunk)
        }
    }

    func download(from buffer: DeviceBuffer, byteOffset: Int = 0, into destination: UnsafeMutableRawBufferPointer) throws(VulkanError) {
        guard byteOffset + destination.count <= buffer.size else { throw .invalidArgument("download of \(destination.count) bytes overruns a \(buffer.size)-byte buffer") }
        try inChunks(of: destination.count) { (done, chunk) throws(VulkanError) in
            try copy(from: buffer.handle, at: buffer.offset + byteOffset + done, to: staging.buffer, at: 0, bytes: chunk)
            (destination.baseAddress! + done).copyMemory(from: staging.mapped!, byteCount: chunk)
        }
    }

    /// Calls `body(offset, count)` for consecutive staging-sized pieces of `total` bytes, holding
    /// the staging buffer throughout.
    private func inChunks(of total: Int, _ body: (Int, Int) throws(VulkanError) -> Void) throws(VulkanError) {
        lock.lock()
        defer { lock.unlock() }
        var done = 0
        while done < total {
            let chunk = min(staging.size, total - done)
            try body(done, chunk)
            done += chunk
        }
    }

    private func copy(from source: VkBuffer, at sourceOffset: Int, to destination: VkBuffer, at destinationOffset: Int, bytes: Int) throws(VulkanError) {
        try beginOneTimeCommands(commandBuffer)
        // Earlier compute work may still read or write these bytes; the queue orders submissions
        // but memory visibility between them needs a barrier.
        recordMemoryBarrier(commandBuffer,
                            from: VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue | VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue,
                            VK_ACCESS_SHADER_WRITE_BIT.rawValue | VK_ACCESS_TRANSFER_WRITE_BIT.rawValue,
                            to: VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue,
                            VK_ACCESS_TRANSFER_READ_BIT.rawValue | VK_ACCESS_TRANSFER_WRITE_BIT.rawValue)
        var region = VkBufferCopy(srcOffset: VkDeviceSize(sourceOffset), dstOffset: VkDeviceSize(destinationOffset), size: VkDeviceSize(bytes))
        vkCmdCopyBuffer(commandBuffer, source, destination, 1, &region)
        recordMemoryBarrier(commandBuffer,
                            from: VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue, VK_ACCESS_TRANSFER_WRITE_BIT.rawValue,
                            to: VK_PIPELINE_STAGE_HOST_BIT.rawValue | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue,
                            VK_ACCESS_HOST_READ_BIT.rawValue | VK_ACCESS_SHADER_READ_BIT.rawValue)
        try check(vkEndCommandBuffer(commandBuffer), "vkEndCommandBuffer")
        try device.submitAndWait(commandBuffer)
    }
}

import CVulkan

/// How long one recorded operator ran on the device.
public struct OperationTiming: Sendable {
    /// The shader variant that ran.
    public let name: String
    public let seconds: Double
}

/// Timestamp queries around each dispatch of a command buffer, for per-operator profiling.
/// Dependent dispatches are separated by barriers, but independent ones may overlap on a GPU, so
/// their times can add up to more than the batch took.
final class DispatchTimer {
    let device: VulkanDevice
    let pool: VkQueryPool
    let capacity: Int
    private var names: [String] = []

    init(device: VulkanDevice, dispatches: Int) throws(VulkanError) {
        guard device.timestampValidBits > 0 else { throw .unsupported("timestamps on its compute queue") }
        self.device = device
        capacity = dispatches
        var info = VkQueryPoolCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO
        info.queryType = VK_QUERY_TYPE_TIMESTAMP
        info.queryCount = UInt32(2 * dispatches)
        var pool: VkQueryPool?
        try check(vkCreateQueryPool(device.handle, &info, nil, &pool), "vkCreateQueryPool")
        self.pool = pool!
    }

    deinit { vkDestroyQueryPool(device.handle, pool, nil) }

    /// Resets the queries at the start of a command buffer.
    func reset(_ commandBuffer: VkCommandBuffer) {
        names.removeAll()
        vkCmdResetQueryPool(commandBuffer, pool, 0, UInt32(2 * capacity))
    }

    /// Records the start timestamp of the next dispatch.
    func begin(_ commandBuffer: VkCommandBuffer, name: String) {
        precondition(names.count < capacity, "more dispatches than timestamp queries")
        vkCmdWriteTimestamp(commandBuffer, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, pool, UInt32(2 * names.count))
        names.append(name)
    }

    /// Records the end timestamp of the dispatch started last.
    func end(_ commandBuffer: VkCommandBuffer) {
        vkCmdWriteTimestamp(commandBuffer, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool, UInt32(2 * names.count - 1))
    }

    /// Durations of the dispatches of a finished command buffer.
    func results() throws(VulkanError) -> [OperationTiming] {
        guard !names.isEmpty else { return [] }
        var ticks = [UInt64](repeating: 0, count: 2 * names.count)
        let result = ticks.withUnsafeMutableBytes { bytes in
            vkGetQueryPoolResults(device.handle, pool, 0, UInt32(2 * names.count), bytes.count, bytes.baseAddress, 8,
                                  VK_QUERY_RESULT_64_BIT.rawValue | VK_QUERY_RESULT_WAIT_BIT.rawValue)
        }
        try check(result, "vkGetQueryPoolResults")
        let mask: UInt64 = device.timestampValidBits >= 64 ? .max : (1 << UInt64(device.timestampValidBits)) - 1
        return names.enumerated().map { index, name in
            let elapsed = (ticks[2 * index + 1] &- ticks[2 * index]) & mask
            return OperationTiming(name: name, seconds: Double(elapsed) * device.timestampPeriod * 1e-9)
        }
    }
}

import CVulkan

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

/// Resets `commandBuffer` and begins recording it for a single submission.
func beginOneTimeCommands(_ commandBuffer: VkCommandBuffer) throws(VulkanError) {
    try check(vkResetCommandBuffer(commandBuffer, 0), "vkResetCommandBuffer")
    var begin = VkCommandBufferBeginInfo()
    begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT.rawValue
    try check(vkBeginCommandBuffer(commandBuffer, &begin), "vkBeginCommandBuffer")
}

/// A global memory barrier: accesses `sourceAccess` in `sourceStages` become visible to
/// `destinationAccess` in `destinationStages`.
func recordMemoryBarrier(_ commandBuffer: VkCommandBuffer, from sourceStages: VkPipelineStageFlags, _ sourceAccess: VkAccessFlags,
                         to destinationStages: VkPipelineStageFlags, _ destinationAccess: VkAccessFlags) {
    var barrier = VkMemoryBarrier()
    barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER
    barrier.srcAccessMask = sourceAccess
    barrier.dstAccessMask = destinationAccess
    vkCmdPipelineBarrier(commandBuffer, sourceStages, destinationStages, 0, 1, &barrier, 0, nil, 0, nil)
}

import CVulkan

/// Records many dispatches into one command buffer and submits them together. A pipeline barrier
/// goes in only when a dispatch touches memory that a dispatch since the last barrier wrote
/// (read-after-write, write-after-write) or read (write-after-read); independent dispatches run
/// back to back.
///
/// Operators (`linear`, `softmax`, …) are methods on the recorder; their results are valid after
/// `submit()`. With profiling on, `timings` lists the device time of every dispatch submitted.
/// A recorder is used from one thread at a time.
public final class CommandRecorder {
    /// Descriptor sets per pool; when they run out the recorder submits what it has and goes on.
    static let setsPerBatch = 256
    static let maxStorageBindingsPerDispatch = 5
    static let maxTexelBindingsPerDispatch = 2

    public let context: VulkanContext
    let commandPool: VkCommandPool
    let commandBuffer: VkCommandBuffer
    let descriptorPool: VkDescriptorPool
    private var isRecording = false
    private var setsUsed = 0
    private var readsSinceBarrier: [DeviceBuffer] = []
    private var writesSinceBarrier: [DeviceBuffer] = []
    /// Keeps every buffer bound in the pending batch alive until the device is done with it.
    private var retained: [DeviceBuffer] = []
    public private(set) var dispatchCount = 0
    public private(set) var barrierCount = 0
    public private(set) var submitCount = 0
    private let timer: DispatchTimer?
    public private(set) var timings: [OperationTiming] = []

    init(context: VulkanContext, profiling: Bool) throws(VulkanError) {
        self.context = context
        timer = profiling || context.profile.isOn ? try DispatchTimer(device: context.device, dispatches: Self.setsPerBatch) : nil
        (commandPool, commandBuffer) = try makeCommandBuffer(device: context.device)
        var sizes = [
            VkDescriptorPoolSize(type: VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, descriptorCount: UInt32(Self.setsPerBatch * Self.maxStorageBindingsPerDispatch)),
            VkDescriptorPoolSize(type: VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, descriptorCount: UInt32(Self.setsPerBatch * Self.maxTexelBindingsPerDispatch)),
        ]
        var info = VkDescriptorPoolCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO
        info.maxSets = UInt32(Self.setsPerBatch)
        info.poolSizeCount = UInt32(sizes.count)
        var pool: VkDescriptorPool?
        let result = sizes.withUnsafeMutableBufferPointer { sizePointer in
            info.pPoolSizes = UnsafePointer(sizePointer.baseAddress)
            return vkCreateDescriptorPool(context.device.handle, &info, nil, &pool)
        }
        guard result == VK_SUCCESS else {
            vkDestroyCommandPool(context.device.handle, commandPool, nil)
            throw VulkanError(result: result, call: "vkCreateDescriptorPool")
        }
        descriptorPool = pool!
    }

    deinit {
        // Unsubmitted work is dropped; submitted work has been waited for.
        vkDestroyDescriptorPool(context.device.handle, descriptorPool, nil)
        vkDestroyCommandPool(context.device.handle, commandPool, nil)
    }

    /// Records one dispatch. `buffers[i]` is bound at storage binding `i`, `texels[j]` at binding
    /// `buffers.count + j` as a uniform texel buffer; `written` lists the storage bindings the
    /// shader writes. `push` fills the push constants.
    func dispatch(_ pipeline: ComputePipeline, buffers: [DeviceBuffer], texels: [(DeviceBuffer, TexelFormat)] = [], written: Set<Int>,
                  push: PushConstants, groups: (x: Int, y: Int, z: Int)) throws(VulkanError) {
        precondition(buffers.count == pipeline.storageBindings && texels.count == pipeline.texelBindings,
                     "\(pipeline.variant.name) binds \(pipeline.storageBindings) buffers and \(pipeline.texelBindings) texel buffers")
        precondition(push.words.count * 4 <= ComputePipeline.pushConstantBytes, "push constants overflow")
        let limits = context.device.maxWorkgroupCount
        guard groups.x <= limits.x, groups.y <= limits.y, groups.z <= limits.z else {
            throw .invalidArgument("\(pipeline.variant.name): \(groups) workgroups exceed the device limit \(limits)")
        }
        if groups.x == 0 || groups.y == 0 || groups.z == 0 { return }
        if setsUsed == Self.setsPerBatch { try submit() }
        try beginIfNeeded()

        let set = try allocateSet(pipeline.setLayout)
        var views: [VkBufferView?] = []
        for (buffer, format) in texels { views.append(try buffer.texelView(format)) }
        var infos = buffers.map { VkDescriptorBufferInfo(buffer: $0.handle, offset: VkDeviceSize($0.offset), range: VkDeviceSize($0.size)) }
        infos.withUnsafeMutableBufferPointer { infoPointer in
            views.withUnsafeMutableBufferPointer { viewPointer in
                var writes = (0..<(buffers.count + texels.count)).map { index in
                    var write = VkWriteDescriptorSet()
                    write.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET
                    write.dstSet = set
                    write.dstBinding = UInt32(index)
                    write.descriptorCount = 1
                    if index < buffers.count {
                        write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                        write.pBufferInfo = UnsafePointer(infoPointer.baseAddress! + index)
                    } else {
                        write.descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER
                        write.pTexelBufferView = UnsafePointer(viewPointer.baseAddress! + (index - buffers.count))
                    }
                    return write
                }
                vkUpdateDescriptorSets(context.device.handle, UInt32(writes.count), &writes, 0, nil)
            }
        }

        let reads = buffers.indices.filter { !written.contains($0) }.map { buffers[$0] } + texels.map(\.0)
        let writes = written.sorted().map { buffers[$0] }
        let dependent = (reads + writes).contains { buffer in writesSinceBarrier.contains { $0.overlaps(buffer) } }
            || writes.contains { buffer in readsSinceBarrier.contains { $0.overlaps(buffer) } }
        if dependent {
            let shaderAccess = VK_ACCESS_SHADER_WRITE_BIT.rawValue | VK_ACCESS_SHADER_READ_BIT.rawValue
            recordMemoryBarrier(commandBuffer, from: VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue, shaderAccess,
                                to: VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue, shaderAccess)
            readsSinceBarrier.removeAll(keepingCapacity: true)
            writesSinceBarrier.removeAll(keepingCapacity: true)
            barrierCount += 1
        }
        readsSinceBarrier += reads
        writesSinceBarrier += writes
        retained += buffers + texels.map(\.0)

        vkCmdBindPipeline(commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.pipeline)
        var boundSet: VkDescriptorSet? = set
        vkCmdBindDescriptorSets(commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout, 0, 1, &boundSet, 0, nil)
        push.words.withUnsafeBytes { bytes in
            vkCmdPushConstants(commandBuffer, pipeline.layout, VK_SHADER_STAGE_COMPUTE_BIT.rawValue, 0, UInt32(bytes.count), bytes.baseAddress)
        }
        timer?.begin(commandBuffer, name: pipeline.variant.name)
        vkCmdDispatch(commandBuffer, UInt32(groups.x), UInt32(groups.y), UInt32(groups.z))
        timer?.end(commandBuffer)
        dispatchCount += 1
    }

    /// Submits everything recorded so far and waits for it; tensors produced by recorded
    /// operators hold their results afterwards.
    public func submit() throws(VulkanError) {
        guard isRecording else { return }
        isRecording = false
        defer {
            retained.removeAll()
            readsSinceBarrier.removeAll()
            writesSinceBarrier.removeAll()
            setsUsed = 0
            vkResetDescriptorPool(context.device.handle, descriptorPool, 0)
        }
        try check(vkEndCommandBuffer(commandBuffer), "vkEndCommandBuffer")
        try context.device.submitAndWait(commandBuffer)
        submitCount += 1
        if let timer {
            let batch = try timer.results()
            timings += batch
            context.profile.add(batch)
        }
    }

    private func beginIfNeeded() throws(VulkanError) {
        guard !isRecording else { return }
        try beginOneTimeCommands(commandBuffer)
        timer?.reset(commandBuffer)
        // Uploads finished on the host side before recording, but their transfer writes must be
        // made visible to the first dispatches.
        recordMemoryBarrier(commandBuffer,
                            from: VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue | VK_PIPELINE_STAGE_HOST_BIT.rawValue,
                            VK_ACCESS_TRANSFER_WRITE_BIT.rawValue | VK_ACCESS_HOST_WRITE_BIT.rawValue,
                            to: VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue,
                            VK_ACCESS_SHADER_READ_BIT.rawValue | VK_ACCESS_SHADER_WRITE_BIT.rawValue)
        isRecording = true
    }

    private func allocateSet(_ layout: VkDescriptorSetLayout) throws(VulkanError) -> VkDescriptorSet {
        var layout: VkDescriptorSetLayout? = layout
        var set: VkDescriptorSet?
        let result = withUnsafePointer(to: &layout) { layoutPointer in
            var info = VkDescriptorSetAllocateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO
            info.descriptorPool = descriptorPool
            info.descriptorSetCount = 1
            info.pSetLayouts = layoutPointer
            return vkAllocateDescriptorSets(context.device.handle, &info, &set)
        }
        try check(result, "vkAllocateDescriptorSets")
        setsUsed += 1
        return set!
    }
}

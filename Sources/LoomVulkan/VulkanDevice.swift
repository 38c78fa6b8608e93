import CVulkan
import Foundation
import Synchronization

/// A logical device with one compute queue, plus the limits the allocator and operators respect.
/// `@unchecked Sendable`: handles are immutable after creation; queue submission, which Vulkan
/// requires to be externally synchronised, goes through `submitLock`.
public final class VulkanDevice: @unchecked Sendable {
    let instance: VulkanInstance
    let physicalDevice: VkPhysicalDevice
    let handle: VkDevice
    let queue: VkQueue
    let queueFamily: UInt32
    let memoryProperties: VkPhysicalDeviceMemoryProperties
    let submitLock = Mutex(())
    /// Device memory held in allocations and used by tensors, now and at most since the last reset.
    private let usage = Mutex(MemoryUsage())

    private struct MemoryUsage {
        var allocated = 0, peakAllocated = 0, tensors = 0, peakTensors = 0
    }

    public let info: PhysicalDeviceInfo
    /// `VK_KHR_cooperative_matrix` support; when usable, the extension and f16 arithmetic are enabled.
    let cooperativeMatrix: CooperativeMatrixSupport
    /// Subgroup size and operations, for the CPU kernels whose lanes share fetches.
    let subgroups: SubgroupSupport
    /// True when the device runs the cooperative-matrix matmul kernel (`MatmulKernel.cooperative`).
    public var supportsCooperativeMatrixMatmul: Bool { cooperativeMatrix.tileSize != nil }
    /// `VK_NV_cooperative_matrix2` support; when usable, the extension and the features its kernel
    /// uses (flexible dimensions, per-element operations) are enabled.
    let cooperativeMatrix2: CooperativeMatrix2Support
    /// True when the device runs the `VK_NV_cooperative_matrix2` matmul kernel (`MatmulKernel.cooperative2`).
    public var supportsCooperativeMatrix2Matmul: Bool { cooperativeMatrix2.granularity != nil }
    /// Whether shaders may load and store 16-bit values in storage buffers (storage16.glsl):
    /// the condition for f16 and bf16 activations.
    public let supports16BitStorage: Bool
    /// Largest range one storage-buffer binding may cover.
    public let maxStorageBufferRange: Int
    /// Largest single `vkAllocateMemory`.
    public let maxMemoryAllocationSize: Int
    public let minStorageBufferOffsetAlignment: Int
    public let minTexelBufferOffsetAlignment: Int
    public let maxWorkgroupCount: (x: Int, y: Int, z: Int)
    /// Bytes of shared memory one workgroup may declare.
    public let maxComputeSharedMemorySize: Int
    /// The driver's `pipelineCacheUUID` in hex and the subgroup size: what pipelines made on this device and driver are valid for.
    let pipelineCacheIdentity: String
    /// Nanoseconds per timestamp tick.
    public let timestampPeriod: Double
    /// Meaningful bits of a timestamp on the compute queue; 0 when it cannot time work.
    public let timestampValidBits: Int

    /// Size of the largest device-local memory heap: what models must fit into (on CPU devices,
    /// the share of system memory the driver offers).
    public var deviceLocalMemoryBytes: Int {
        var heaps = memoryProperties.memoryHeaps
        let count = Int(memoryProperties.memoryHeapCount)
        return withUnsafeBytes(of: &heaps) { raw in
            raw.bindMemory(to: VkMemoryHeap.self).prefix(count)
                .filter { $0.flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT.rawValue != 0 }
                .map { Int($0.size) }.max() ?? 0
        }
    }

    /// Bytes of device memory (tensor blocks, not staging) allocated now.
    public var allocatedMemoryBytes: Int { usage.withLock { $0.allocated } }

    /// The most `allocatedMemoryBytes` has been since the device opened or the last reset.
    public var peakAllocatedMemoryBytes: Int { usage.withLock { $0.peakAllocated } }

    /// Bytes of the allocations that tensors occupy now (allocations are made in large blocks).
    public var tensorMemoryBytes: Int { usage.withLock { $0.tensors } }

    /// The most `tensorMemoryBytes` has been since the device opened or the last reset.
    public var peakTensorMemoryBytes: Int { usage.withLock { $0.peakTensors } }

    /// Starts new peak measurements from what is in use now.
    public func resetPeakMemory() {
        usage.withLock { usage in
            usage.peakAllocated = usage.allocated
            usage.peakTensors = usage.tensors
        }
    }

    func recordAllocation(bytes: Int) {
        usage.withLock { usage in
            usage.allocated += bytes
            usage.peakAllocated = max(usage.peakAllocated, usage.allocated)
        }
    }

    func recordTensorStorage(bytes: Int) {
        usage.withLock { usage in
            usage.tensors += bytes
            usage.peakTensors = max(usage.peakTensors, usage.tensors)
        }
    }

    /// Opens the device chosen by `selectPhysicalDevice`, reading `LOOM_VULKAN_DEVICE` unless a
    /// selector is passed.
    public init(selector: String? = ProcessInfo.processInfo.environment["LOOM_VULKAN_DEVICE"]) throws(VulkanError) {
        instance = try VulkanInstance()
        let devices = try instance.computeDevices()
        let chosen = try selectPhysicalDevice(from: devices.map(\.info), selector: selector)
        let physicalDevice = devices.first { $0.info.index == chosen.index }!.handle
        self.physicalDevice = physicalDevice
        info = chosen
        let family = computeQueueFamily(of: physicalDevice)!
        let queueFamily = family.index
        self.queueFamily = queueFamily
        timestampValidBits = Int(family.properties.timestampValidBits)

        var properties = VkPhysicalDeviceProperties()
        vkGetPhysicalDeviceProperties(physicalDevice, &properties)
        var maintenance3 = VkPhysicalDeviceMaintenance3Properties()
        maintenance3.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES
        var properties2 = VkPhysicalDeviceProperties2()
        properties2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2
        withUnsafeMutablePointer(to: &maintenance3) { pointer in
            properties2.pNext = UnsafeMutableRawPointer(pointer)
            vkGetPhysicalDeviceProperties2(physicalDevice, &properties2)
        }
        let limits = properties.limits
        maxStorageBufferRange = Int(limits.maxStorageBufferRange)
        maxMemoryAllocationSize = Int(maintenance3.maxMemoryAllocationSize)
        minStorageBufferOffsetAlignment = Int(limits.minStorageBufferOffsetAlignment)
        minTexelBufferOffsetAlignment = Int(limits.minTexelBufferOffsetAlignment)
        maxWorkgroupCount = (Int(limits.maxComputeWorkGroupCount.0), Int(limits.maxComputeWorkGroupCount.1), Int(limits.maxComputeWorkGroupCount.2))
        maxComputeSharedMemorySize = Int(limits.maxComputeSharedMemorySize)
        timestampPeriod = Double(limits.timestampPeriod)
        let subgroups = SubgroupSupport.query(physicalDevice)
        // With the subgroup size: lavapipe's UUID stays the same whatever vector width LP_NATIVE_VECTOR_WIDTH gives it, and
        // the kernels' constants follow the subgroup size.
        pipelineCacheIdentity = withUnsafeBytes(of: properties.pipelineCacheUUID) { $0.map { String(format: "%02x", $0) }.joined() }
            + "s\(subgroups.size)"

        var memory = VkPhysicalDeviceMemoryProperties()
        vkGetPhysicalDeviceMemoryProperties(physicalDevice, &memory)
        memoryProperties = memory

        self.subgroups = subgroups
        let cooperativeMatrix = CooperativeMatrixSupport.query(instance: instance.handle, physicalDevice: physicalDevice)
        self.cooperativeMatrix = cooperativeMatrix
        // Features to enable when cooperative matrices are usable: VkPhysicalDeviceCooperativeMatrixFeaturesKHR
        // (raw, see CooperativeMatrixSupport) chained to shaderFloat16.
        var float16Features = VkPhysicalDeviceShaderFloat16Int8Features()
        float16Features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES
        float16Features.shaderFloat16 = VK_TRUE
        let cooperativeFeatures = UnsafeMutableRawPointer.allocate(byteCount: 24, alignment: 8)
        defer { cooperativeFeatures.deallocate() }
        cooperativeFeatures.initializeMemory(as: UInt8.self, repeating: 0, count: 24)
        cooperativeFeatures.storeBytes(of: CooperativeMatrixSupport.featuresType, as: UInt32.self)
        cooperativeFeatures.storeBytes(of: UInt32(VK_TRUE), toByteOffset: 16, as: UInt32.self)
        let cooperativeMatrix2 = CooperativeMatrix2Support.query(instance: instance.handle, physicalDevice: physicalDevice,
                                                                 cooperativeMatrix: cooperativeMatrix)
        self.cooperativeMatrix2 = cooperativeMatrix2
        // VkPhysicalDeviceCooperativeMatrix2FeaturesNV (raw), chained after shaderFloat16 when usable.
        let cooperative2Features = UnsafeMutableRawPointer.allocate(byteCount: CooperativeMatrix2Support.featuresSize, alignment: 8)
        defer { cooperative2Features.deallocate() }
        cooperative2Features.initializeMemory(as: UInt8.self, repeating: 0, count: CooperativeMatrix2Support.featuresSize)
        cooperative2Features.storeBytes(of: CooperativeMatrix2Support.featuresType, as: UInt32.self)
        for offset in [CooperativeMatrix2Support.flexibleDimensionsOffset, CooperativeMatrix2Support.perElementOperationsOffset] {
            cooperative2Features.storeBytes(of: UInt32(VK_TRUE), toByteOffset: offset, as: UInt32.self)
        }
        var wanted = cooperativeMatrix.tileSize != nil ? [CooperativeMatrixSupport.extensionName, CooperativeMatrixSupport.float16ExtensionName] : []
        if cooperativeMatrix2.granularity != nil {
            wanted.append(CooperativeMatrix2Support.extensionName)
            float16Features.pNext = cooperative2Features
        }
        let extensionNames: [UnsafePointer<CChar>] = wanted.map { UnsafePointer(strdup($0)!) }
        defer { extensionNames.forEach { free(UnsafeMutablePointer(mutating: $0)) } }

        var storage16 = VkPhysicalDevice16BitStorageFeatures()
        storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES
        withUnsafeMutablePointer(to: &storage16) { pointer in
            var features2 = VkPhysicalDeviceFeatures2()
            features2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2
            features2.pNext = UnsafeMutableRawPointer(pointer)
            vkGetPhysicalDeviceFeatures2(physicalDevice, &features2)
        }
        supports16BitStorage = storage16.storageBuffer16BitAccess != 0
        // Only the feature this device has stays on; the chain continues to the cooperative features.
        storage16 = VkPhysicalDevice16BitStorageFeatures()
        storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES
        storage16.storageBuffer16BitAccess = supports16BitStorage ? VK_TRUE : VK_FALSE

        var priority: Float = 1
        var device: VkDevice?
        let result = withUnsafePointer(to: &priority) { priorityPointer in
            var queueInfo = VkDeviceQueueCreateInfo()
            queueInfo.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO
            queueInfo.queueFamilyIndex = queueFamily
            queueInfo.queueCount = 1
            queueInfo.pQueuePriorities = priorityPointer
            return withUnsafePointer(to: &queueInfo) { queuePointer in
                var deviceInfo = VkDeviceCreateInfo()
                deviceInfo.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO
                deviceInfo.queueCreateInfoCount = 1
                deviceInfo.pQueueCreateInfos = queuePointer
                return withUnsafeMutablePointer(to: &storage16) { storage16Pointer in
                    deviceInfo.pNext = UnsafeRawPointer(storage16Pointer)
                    guard !extensionNames.isEmpty else { return vkCreateDevice(physicalDevice, &deviceInfo, nil, &device) }
                    return withUnsafeMutablePointer(to: &float16Features) { float16Pointer in
                        cooperativeFeatures.storeBytes(of: UnsafeMutableRawPointer(float16Pointer), toByteOffset: 8, as: UnsafeMutableRawPointer?.self)
                        storage16Pointer.pointee.pNext = cooperativeFeatures
                        return extensionNames.map { Optional($0) }.withUnsafeBufferPointer { names in
                            deviceInfo.enabledExtensionCount = UInt32(names.count)
                            deviceInfo.ppEnabledExtensionNames = names.baseAddress
                            return vkCreateDevice(physicalDevice, &deviceInfo, nil, &device)
                        }
                    }
                }
            }
        }
        try check(result, "vkCreateDevice")
        handle = device!
        var queue: VkQueue?
        vkGetDeviceQueue(handle, queueFamily, 0, &queue)
        self.queue = queue!
    }

    deinit {
        vkDeviceWaitIdle(handle)
        vkDestroyDevice(handle, nil)
    }

    /// Index of a memory type allowed by `typeBits` that has all of `required`, preferring one that
    /// also has `preferred`.
    func memoryType(typeBits: UInt32, required: VkMemoryPropertyFlags, preferred: VkMemoryPropertyFlags = 0) -> UInt32? {
        let types = withUnsafeBytes(of: memoryProperties.memoryTypes) { Array($0.bindMemory(to: VkMemoryType.self).prefix(Int(memoryProperties.memoryTypeCount))) }
        let candidates = types.indices.filter { typeBits & (1 << $0) != 0 && types[$0].propertyFlags & required == required }
        let best = candidates.first { types[$0].propertyFlags & preferred == preferred } ?? candidates.first
        return best.map(UInt32.init)
    }

    /// Submits one command buffer and blocks until it finished.
    func submitAndWait(_ commandBuffer: VkCommandBuffer) throws(VulkanError) {
        var fenceInfo = VkFenceCreateInfo()
        fenceInfo.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO
        var fence: VkFence?
        try check(vkCreateFence(handle, &fenceInfo, nil, &fence), "vkCreateFence")
        defer { vkDestroyFence(handle, fence, nil) }
        var buffer: VkCommandBuffer? = commandBuffer
        let submitted = withUnsafePointer(to: &buffer) { pointer in
            var submit = VkSubmitInfo()
            submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO
            submit.commandBufferCount = 1
            submit.pCommandBuffers = pointer
            return submitLock.withLock { _ in vkQueueSubmit(queue, 1, &submit, fence) }
        }
        try check(submitted, "vkQueueSubmit")
        try check(vkWaitForFences(handle, 1, &fence, VK_TRUE, UInt64.max), "vkWaitForFences")
    }
}

import CVulkan

/// Owns the `VkInstance` and lists the physical devices that can run compute work.
/// `@unchecked Sendable`: the handle is immutable after creation and Vulkan allows instance-level
/// queries from any thread.
final class VulkanInstance: @unchecked Sendable {
    let handle: VkInstance

    init() throws(VulkanError) {
        var instance: VkInstance?
        let result = "Loom".withCString { name in
            var app = VkApplicationInfo()
            app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO
            app.pApplicationName = name
            app.pEngineName = name
            // The newest version Loom uses (SPIR-V 1.6 for the coopmat2 variants); older devices keep their own.
            app.apiVersion = vulkanAPIVersion(1, 3)
            return withUnsafePointer(to: &app) { appPointer in
                var info = VkInstanceCreateInfo()
                info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO
                info.pApplicationInfo = appPointer
                return vkCreateInstance(&info, nil, &instance)
            }
        }
        if result == VK_ERROR_INCOMPATIBLE_DRIVER || result == VK_ERROR_INITIALIZATION_FAILED {
            throw .noDevice("vkCreateInstance found no compatible driver (VkResult \(result.rawValue))")
        }
        try check(result, "vkCreateInstance")
        handle = instance!
    }

    deinit { vkDestroyInstance(handle, nil) }

    /// Physical devices with a compute queue, in the loader's order.
    func computeDevices() throws(VulkanError) -> [(info: PhysicalDeviceInfo, handle: VkPhysicalDevice)] {
        var count: UInt32 = 0
        try check(vkEnumeratePhysicalDevices(handle, &count, nil), "vkEnumeratePhysicalDevices")
        var handles = [VkPhysicalDevice?](repeating: nil, count: Int(count))
        try check(vkEnumeratePhysicalDevices(handle, &count, &handles), "vkEnumeratePhysicalDevices")
        return handles.prefix(Int(count)).enumerated().compactMap { index, device in
            guard let device, computeQueueFamily(of: device) != nil else { return nil }
            var properties = VkPhysicalDeviceProperties()
            vkGetPhysicalDeviceProperties(device, &properties)
            let name = withUnsafeBytes(of: properties.deviceName) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return (PhysicalDeviceInfo(index: index, name: name, kind: .init(properties.deviceType)), device)
        }
    }
}

/// The first queue family that supports compute, with its properties.
func computeQueueFamily(of device: VkPhysicalDevice) -> (index: UInt32, properties: VkQueueFamilyProperties)? {
    var count: UInt32 = 0
    vkGetPhysicalDeviceQueueFamilyProperties(device, &count, nil)
    var families = [VkQueueFamilyProperties](repeating: .init(), count: Int(count))
    vkGetPhysicalDeviceQueueFamilyProperties(device, &count, &families)
    return families.firstIndex { $0.queueFlags & VK_QUEUE_COMPUTE_BIT.rawValue != 0 }.map { (UInt32($0), families[$0]) }
}

func vulkanAPIVersion(_ major: UInt32, _ minor: UInt32) -> UInt32 { (major << 22) | (minor << 12) }

import CVulkan

/// What a device's compute shaders may do across the lanes of a subgroup: kernels for CPU devices
/// share fetched values between lanes with shuffles, which cost a vector permute where a fetch is a gather.
struct SubgroupSupport: Sendable {
    /// Invocations per subgroup.
    let size: Int
    /// True when compute shaders have shuffles and votes (`GL_KHR_shader_subgroup_shuffle` and `_vote`).
    let shufflesInCompute: Bool

    static func query(_ physicalDevice: VkPhysicalDevice) -> SubgroupSupport {
        var subgroup = VkPhysicalDeviceSubgroupProperties()
        subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES
        withUnsafeMutablePointer(to: &subgroup) { pointer in
            var properties2 = VkPhysicalDeviceProperties2()
            properties2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2
            properties2.pNext = UnsafeMutableRawPointer(pointer)
            vkGetPhysicalDeviceProperties2(physicalDevice, &properties2)
        }
        let operations = VK_SUBGROUP_FEATURE_SHUFFLE_BIT.rawValue | VK_SUBGROUP_FEATURE_VOTE_BIT.rawValue
        let compute = subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT.rawValue != 0
        return SubgroupSupport(size: Int(subgroup.subgroupSize),
                               shufflesInCompute: compute && subgroup.supportedOperations & operations == operations)
    }

    /// The subgroup size when its lanes can share fetches (a power of two from 4 to 64), else nil.
    var sharingSize: Int? {
        shufflesInCompute && (4...64).contains(size) && size & (size - 1) == 0 ? size : nil
    }
}

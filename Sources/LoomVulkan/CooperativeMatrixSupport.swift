import CVulkan

/// What a device offers of `VK_KHR_cooperative_matrix`. The system's Vulkan headers may predate
/// the extension, so its structures are written as raw memory at their C offsets.
struct CooperativeMatrixSupport: Sendable {
    /// Side of the largest square subgroup matrices (16 or 8) the device supports with f16 A and
    /// B and f32 C and result: the cooperative matmul kernel's matrices; nil when none.
    let tileSize: Int?
    /// Invocations per subgroup: the cooperative matmul workgroup is four subgroups.
    let subgroupSize: Int

    static let extensionName = "VK_KHR_cooperative_matrix"
    static let float16ExtensionName = "VK_KHR_shader_float16_int8"
    static let unsupported = CooperativeMatrixSupport(tileSize: nil, subgroupSize: 0)

    // VkStructureType values of the extension.
    static let featuresType: UInt32 = 1_000_506_000    // VkPhysicalDeviceCooperativeMatrixFeaturesKHR
    static let propertiesType: UInt32 = 1_000_506_001  // VkCooperativeMatrixPropertiesKHR
    // VkComponentTypeKHR and VkScopeKHR values.
    static let float16: Int32 = 0, float32: Int32 = 1, subgroupScope: Int32 = 3

    /// Queries `physicalDevice`; unsupported unless it has the extension (and f16 arithmetic) and
    /// reports a 16×16×16 or 8×8×8 f16 → f32 shape.
    static func query(instance: VkInstance, physicalDevice: VkPhysicalDevice) -> CooperativeMatrixSupport {
        let extensions = deviceExtensions(physicalDevice)
        guard extensions.contains(extensionName), extensions.contains(float16ExtensionName) else { return .unsupported }
        var float16Features = VkPhysicalDeviceShaderFloat16Int8Features()
        float16Features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES
        // VkPhysicalDeviceCooperativeMatrixFeaturesKHR: sType, pNext, cooperativeMatrix, robust access.
        let features = UnsafeMutableRawPointer.allocate(byteCount: 24, alignment: 8)
        defer { features.deallocate() }
        features.initializeMemory(as: UInt8.self, repeating: 0, count: 24)
        features.storeBytes(of: featuresType, as: UInt32.self)
        let cooperative = withUnsafeMutablePointer(to: &float16Features) { float16Pointer -> Bool in
            features.storeBytes(of: UnsafeMutableRawPointer(float16Pointer), toByteOffset: 8, as: UnsafeMutableRawPointer?.self)
            var features2 = VkPhysicalDeviceFeatures2()
            features2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2
            features2.pNext = features
            vkGetPhysicalDeviceFeatures2(physicalDevice, &features2)
            return features.load(fromByteOffset: 16, as: UInt32.self) != 0
        }
        guard cooperative, float16Features.shaderFloat16 != 0 else { return .unsupported }
        let squares = CooperativeMatrixShape.listed(by: "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR", structureType: propertiesType,
                                                    instance: instance, physicalDevice: physicalDevice)
            .compactMap { shape in shape.isSubgroupHalfToFloat && Set(shape.sizes).count == 1 ? shape.sizes[0] : nil }
        guard let tileSize = [16, 8].first(where: squares.contains) else { return .unsupported }
        return CooperativeMatrixSupport(tileSize: tileSize, subgroupSize: SubgroupSupport.query(physicalDevice).size)
    }

    static func deviceExtensions(_ physicalDevice: VkPhysicalDevice) -> Set<String> {
        var count: UInt32 = 0
        guard vkEnumerateDeviceExtensionProperties(physicalDevice, nil, &count, nil) == VK_SUCCESS else { return [] }
        var properties = [VkExtensionProperties](repeating: VkExtensionProperties(), count: Int(count))
        guard vkEnumerateDeviceExtensionProperties(physicalDevice, nil, &count, &properties) == VK_SUCCESS else { return [] }
        return Set(properties.prefix(Int(count)).map { property in
            withUnsafeBytes(of: property.extensionName) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        })
    }
}

import CVulkan

/// What a device offers of `VK_NV_cooperative_matrix2` for the `matmul_coopmat2` kernel: subgroup
/// matrices of flexible size (f16 × f16 → f32) and per-element operations, on top of
/// `VK_KHR_cooperative_matrix`. The kernel needs no workgroup-scope matrices or tensor addressing
/// (lavapipe, where it is tested, has neither). The system's Vulkan headers predate the extension,
/// so its structures are written as raw memory at their C offsets.
struct CooperativeMatrix2Support: Sendable {
    /// Granularity of the kernel's matrices: the subgroup-scope f16 → f32 shapes' rows, columns and
    /// depth are multiples of it (8 on lavapipe); nil when the kernel cannot run.
    let granularity: Int?

    static let extensionName = "VK_NV_cooperative_matrix2"
    static let unsupported = CooperativeMatrix2Support(granularity: nil)

    // VkStructureType values of the extension.
    static let featuresType: UInt32 = 1_000_593_000               // VkPhysicalDeviceCooperativeMatrix2FeaturesNV
    static let flexibleDimensionsType: UInt32 = 1_000_593_001     // VkCooperativeMatrixFlexibleDimensionsPropertiesNV
    static let propertiesType: UInt32 = 1_000_593_002             // VkPhysicalDeviceCooperativeMatrix2PropertiesNV
    /// VkPhysicalDeviceCooperativeMatrix2FeaturesNV: sType, pNext, then seven VkBool32 (workgroup
    /// scope, flexible dimensions, reductions, conversions, per-element operations, tensor
    /// addressing, block loads).
    static let featuresSize = 48
    static let flexibleDimensionsOffset = 20, perElementOperationsOffset = 32
    /// The largest granularity the kernel accepts: 4 × 4 granules per subgroup must fit its shared memory.
    static let largestGranularity = 32

    /// Queries `physicalDevice`, which `cooperativeMatrix` describes; unsupported unless the KHR
    /// kernel can run, the device speaks Vulkan 1.3 (the variants are SPIR-V 1.6), has the extension
    /// with flexible dimensions and per-element operations, and lists a subgroup-scope f16 → f32
    /// flexible shape for any workgroup size or the kernel's four subgroups, whose granularity is a
    /// power of two up to 32 and allows 4 granules a side.
    static func query(instance: VkInstance, physicalDevice: VkPhysicalDevice, cooperativeMatrix: CooperativeMatrixSupport) -> CooperativeMatrix2Support {
        guard cooperativeMatrix.tileSize != nil,
              CooperativeMatrixSupport.deviceExtensions(physicalDevice).contains(extensionName) else { return .unsupported }
        var deviceProperties = VkPhysicalDeviceProperties()
        vkGetPhysicalDeviceProperties(physicalDevice, &deviceProperties)
        guard deviceProperties.apiVersion >= vulkanAPIVersion(1, 3) else { return .unsupported }

        let features = UnsafeMutableRawPointer.allocate(byteCount: featuresSize, alignment: 8)
        defer { features.deallocate() }
        features.initializeMemory(as: UInt8.self, repeating: 0, count: featuresSize)
        features.storeBytes(of: featuresType, as: UInt32.self)
        var features2 = VkPhysicalDeviceFeatures2()
        features2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2
        features2.pNext = features
        vkGetPhysicalDeviceFeatures2(physicalDevice, &features2)
        guard features.load(fromByteOffset: flexibleDimensionsOffset, as: UInt32.self) != 0,
              features.load(fromByteOffset: perElementOperationsOffset, as: UInt32.self) != 0 else { return .unsupported }

        // VkPhysicalDeviceCooperativeMatrix2PropertiesNV: sType, pNext, workgroup-scope maximum
        // workgroup size, flexible dimensions' maximum dimension, reserved shared memory.
        let properties = UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 8)
        defer { properties.deallocate() }
        properties.initializeMemory(as: UInt8.self, repeating: 0, count: 32)
        properties.storeBytes(of: propertiesType, as: UInt32.self)
        var properties2 = VkPhysicalDeviceProperties2()
        properties2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2
        properties2.pNext = properties
        vkGetPhysicalDeviceProperties2(physicalDevice, &properties2)
        let maxDimension = Int(properties.load(fromByteOffset: 20, as: UInt32.self))

        let shapes = CooperativeMatrixShape.listed(by: "vkGetPhysicalDeviceCooperativeMatrixFlexibleDimensionsPropertiesNV",
                                                   structureType: flexibleDimensionsType, instance: instance, physicalDevice: physicalDevice)
        let granularities = shapes.compactMap { shape -> Int? in
            let usable = shape.isSubgroupHalfToFloat && [0, 4 * cooperativeMatrix.subgroupSize].contains(shape.workgroupInvocations)
            // One side serves as rows, columns and depth, so it is the largest of the three.
            let side = shape.sizes.max() ?? 0
            let powerOfTwo = side > 0 && side & (side - 1) == 0 && shape.sizes.allSatisfy { $0 > 0 && side % $0 == 0 }
            return usable && powerOfTwo && side <= largestGranularity && 4 * side <= maxDimension ? side : nil
        }
        return CooperativeMatrix2Support(granularity: granularities.min())
    }
}

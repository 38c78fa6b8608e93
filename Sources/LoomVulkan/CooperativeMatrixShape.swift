import CVulkan

/// One entry of a device's list of cooperative-matrix shapes. `VkCooperativeMatrixPropertiesKHR` and
/// `VkCooperativeMatrixFlexibleDimensionsPropertiesNV` lay out the same fields up to the scope (M, N, K, or their
/// granularities; the A, B, C and result types; saturation; scope), the NV one adding workgroup invocations; both
/// are 56 bytes. The system's headers may lack both, so the entries are read as raw memory at their C offsets.
struct CooperativeMatrixShape {
    /// M, N and K (or their granularities).
    let sizes: [Int]
    let types: [Int32]
    let saturating: Bool
    let scope: Int32
    /// The NV entry's workgroup invocations; 0 in a KHR entry (past its last field).
    let workgroupInvocations: Int

    /// f16 A and B, f32 C and result, without saturation, per subgroup: what the cooperative kernels multiply.
    var isSubgroupHalfToFloat: Bool {
        types == [CooperativeMatrixSupport.float16, CooperativeMatrixSupport.float16,
                  CooperativeMatrixSupport.float32, CooperativeMatrixSupport.float32]
            && !saturating && scope == CooperativeMatrixSupport.subgroupScope
    }

    /// The shapes `physicalDevice` lists through the instance function `functionName`, whose entries have
    /// `structureType`; empty when the function is missing or fails.
    static func listed(by functionName: String, structureType: UInt32, instance: VkInstance,
                       physicalDevice: VkPhysicalDevice) -> [CooperativeMatrixShape] {
        guard let function = vkGetInstanceProcAddr(instance, functionName) else { return [] }
        typealias Query = @convention(c) (VkPhysicalDevice, UnsafeMutablePointer<UInt32>, UnsafeMutableRawPointer?) -> VkResult
        let query = unsafeBitCast(function, to: Query.self)
        var count: UInt32 = 0
        guard query(physicalDevice, &count, nil) == VK_SUCCESS, count > 0 else { return [] }
        let stride = 56
        let entries = UnsafeMutableRawPointer.allocate(byteCount: stride * Int(count), alignment: 8)
        defer { entries.deallocate() }
        entries.initializeMemory(as: UInt8.self, repeating: 0, count: stride * Int(count))
        for i in 0..<Int(count) { entries.storeBytes(of: structureType, toByteOffset: i * stride, as: UInt32.self) }
        guard query(physicalDevice, &count, entries) == VK_SUCCESS else { return [] }
        return (0..<Int(count)).map { i in
            let entry = entries + i * stride
            return CooperativeMatrixShape(sizes: (0..<3).map { Int(entry.load(fromByteOffset: 16 + 4 * $0, as: UInt32.self)) },
                                          types: (0..<4).map { entry.load(fromByteOffset: 28 + 4 * $0, as: Int32.self) },
                                          saturating: entry.load(fromByteOffset: 44, as: UInt32.self) != 0,
                                          scope: entry.load(fromByteOffset: 48, as: Int32.self),
                                          workgroupInvocations: Int(entry.load(fromByteOffset: 52, as: UInt32.self)))
        }
    }
}

import CVulkan

/// A Vulkan physical device as the selection logic sees it.
public struct PhysicalDeviceInfo: Sendable {
    public enum Kind: Int, Sendable, Comparable {
        // Declaration order is preference order.
        case discrete, integrated, virtual, cpu, other

        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public let index: Int
    public let name: String
    public let kind: Kind
}

extension PhysicalDeviceInfo.Kind {
    init(_ type: VkPhysicalDeviceType) {
        switch type {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: self = .discrete
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: self = .integrated
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: self = .virtual
        case VK_PHYSICAL_DEVICE_TYPE_CPU: self = .cpu
        default: self = .other
        }
    }
}

/// Picks the device to run on: the `selector` (from `LOOM_VULKAN_DEVICE`) as an index or a
/// case-insensitive name substring when given, otherwise discrete > integrated > virtual > CPU,
/// lowest index first among equals.
public func selectPhysicalDevice(from devices: [PhysicalDeviceInfo], selector: String?) throws(VulkanError) -> PhysicalDeviceInfo {
    guard !devices.isEmpty else { throw .noDevice("the Vulkan loader reports no device with a compute queue") }
    if let selector, !selector.isEmpty {
        if let index = Int(selector), let device = devices.first(where: { $0.index == index }) { return device }
        if let device = devices.first(where: { $0.name.lowercased().contains(selector.lowercased()) }) { return device }
        throw .deviceNotFound(selector: selector, available: devices.map(\.name))
    }
    return devices.min { ($0.kind, $0.index) < ($1.kind, $1.index) }!
}

import Foundation
import LoomVulkan

/// The one Vulkan context a process's models share, created on first use so that workflows without
/// neural nodes never touch the driver.
public enum ComputeDevice {
    private static let state = LazyContext()

    /// The shared context; the device comes from `LOOM_VULKAN_DEVICE` when set.
    public static func context() throws(VulkanError) -> VulkanContext {
        try state.context()
    }

    /// `@unchecked Sendable`: `context` is only read and written under `lock`.
    private final class LazyContext: @unchecked Sendable {
        private let lock = NSLock()
        private var shared: VulkanContext?

        func context() throws(VulkanError) -> VulkanContext {
            lock.lock()
            defer { lock.unlock() }
            if let shared { return shared }
            let created = try VulkanContext()
            shared = created
            return created
        }
    }
}

import Foundation
import LoomVulkan

/// The Vulkan device models run on, as a service the engine hands to nodes (through the graph's
/// resources). The context is created on first use, so workflows without neural nodes never touch
/// the driver.
public final class ComputeDevice: Sendable {
    /// The device of processes that do not configure one: `LOOM_VULKAN_DEVICE` when set.
    public static let processDefault = ComputeDevice()

    private let state: LazyContext

    /// `selector` picks the device by index or name substring, as `LOOM_VULKAN_DEVICE` does (the default).
    /// `pipelineRecordDirectory` lets each process start creating the compute pipelines the last one used
    /// while it loads models (see `VulkanContext.init`).
    public init(selector: String? = nil, pipelineRecordDirectory: URL? = nil) {
        state = LazyContext(selector: selector, pipelineRecordDirectory: pipelineRecordDirectory)
    }

    public func context() throws(VulkanError) -> VulkanContext {
        try state.context()
    }

    /// Tells the device which workload (`ValidatedPrompt.workload`) runs next, so that the pipelines an earlier run
    /// of it asked for are created in the background, now if the context exists, else as soon as it does.
    public func anticipate(workload: String) {
        state.anticipate(workload: workload)
    }

    /// `@unchecked Sendable`: `shared` and `workload` are only read and written under `lock`.
    private final class LazyContext: @unchecked Sendable {
        private let lock = NSLock()
        private let selector: String?
        private let pipelineRecordDirectory: URL?
        private var shared: VulkanContext?
        private var workload: String?

        init(selector: String?, pipelineRecordDirectory: URL?) {
            self.selector = selector
            self.pipelineRecordDirectory = pipelineRecordDirectory
        }

        func context() throws(VulkanError) -> VulkanContext {
            lock.lock()
            defer { lock.unlock() }
            if let shared { return shared }
            let created = if let selector {
                try VulkanContext(selector: selector, pipelineRecordDirectory: pipelineRecordDirectory, workload: workload)
            } else {
                try VulkanContext(pipelineRecordDirectory: pipelineRecordDirectory, workload: workload)
            }
            shared = created
            return created
        }

        func anticipate(workload: String) {
            lock.lock()
            defer { lock.unlock() }
            self.workload = workload
            shared?.anticipatePipelines(of: workload)
        }
    }
}

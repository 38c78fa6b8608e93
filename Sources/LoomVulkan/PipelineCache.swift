import CVulkan
import Foundation
import Synchronization

/// Creates each (shader variant, specialization constants) pipeline once and keeps it. Backed by a
/// `VkPipelineCache` that is read from and saved to `diskPath` when one is given, so a later
/// process skips the driver's shader compilation.
/// `@unchecked Sendable`: the Vulkan handles are immutable; the maps are behind a mutex.
final class PipelineCache: @unchecked Sendable {
    struct Key: Hashable {
        let variant: ShaderVariant
        let constants: [UInt32]
    }

    let device: VulkanDevice
    let diskPath: URL?
    let cache: VkPipelineCache
    /// Where pipeline creation, the driver's shader compilation, is timed while profiling.
    let profile: DispatchProfile?
    private let state = Mutex<(modules: [ShaderVariant: VkShaderModule], pipelines: [Key: ComputePipeline])>(([:], [:]))

    init(device: VulkanDevice, diskPath: URL?, profile: DispatchProfile? = nil) throws(VulkanError) {
        self.device = device
        self.diskPath = diskPath
        self.profile = profile
        // A cache file from another driver or device is rejected by the driver's header check,
        // and then we start empty.
        var initial = diskPath.flatMap { try? Data(contentsOf: $0) } ?? Data()
        var cache: VkPipelineCache?
        let result = initial.withUnsafeMutableBytes { bytes in
            var info = VkPipelineCacheCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO
            info.initialDataSize = bytes.count
            info.pInitialData = UnsafeRawPointer(bytes.baseAddress)
            return vkCreatePipelineCache(device.handle, &info, nil, &cache)
        }
        try check(result, "vkCreatePipelineCache")
        self.cache = cache!
    }

    deinit {
        state.withLock { state in
            state.pipelines.removeAll()
            for module in state.modules.values { vkDestroyShaderModule(device.handle, module, nil) }
        }
        vkDestroyPipelineCache(device.handle, cache, nil)
    }

    /// The pipeline for `variant` whose shader declares `bindings` storage buffers followed by
    /// `texelBindings` uniform texel buffers.
    func pipeline(_ variant: ShaderVariant, bindings: Int, texelBindings: Int = 0, constants: [UInt32] = []) throws(VulkanError) -> ComputePipeline {
        let key = Key(variant: variant, constants: constants)
        let result: Result<ComputePipeline, VulkanError> = state.withLock { state in
            if let existing = state.pipelines[key] { return .success(existing) }
            do throws(VulkanError) {
                let module: VkShaderModule
                if let existing = state.modules[variant] {
                    module = existing
                } else {
                    module = try makeModule(variant)
                    state.modules[variant] = module
                }
                let started = ContinuousClock.now
                let pipeline = try ComputePipeline(device: device, module: module, variant: variant, storageBindings: bindings, texelBindings: texelBindings,
                                                   constants: constants, cache: cache)
                let elapsed = (ContinuousClock.now - started).components
                profile?.addPipelineCreation(seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
                state.pipelines[key] = pipeline
                return .success(pipeline)
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let pipeline): return pipeline
        case .failure(let error): throw error
        }
    }

    var pipelineCount: Int { state.withLock { $0.pipelines.count } }

    /// Writes the driver's pipeline cache to `diskPath`.
    func save() throws(VulkanError) {
        guard let diskPath else { return }
        var size = 0
        try check(vkGetPipelineCacheData(device.handle, cache, &size, nil), "vkGetPipelineCacheData")
        var data = Data(count: size)
        let result = data.withUnsafeMutableBytes { vkGetPipelineCacheData(device.handle, cache, &size, $0.baseAddress) }
        try check(result, "vkGetPipelineCacheData")
        do {
            try FileManager.default.createDirectory(at: diskPath.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.prefix(size).write(to: diskPath, options: .atomic)
        } catch {
            throw .fileAccess("cannot write pipeline cache \(diskPath.path): \(error)")
        }
    }

    private func makeModule(_ variant: ShaderVariant) throws(VulkanError) -> VkShaderModule {
        var words = variant.spirv
        var module: VkShaderModule?
        let result = words.withUnsafeMutableBufferPointer { pointer in
            var info = VkShaderModuleCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO
            info.codeSize = pointer.count * 4
            info.pCode = UnsafePointer(pointer.baseAddress)
            return vkCreateShaderModule(device.handle, &info, nil, &module)
        }
        try check(result, "vkCreateShaderModule(\(variant.name))")
        return module!
    }
}

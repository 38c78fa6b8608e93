import CVulkan
import Foundation
import Synchronization

/// Creates each (shader variant, specialization constants) pipeline once and keeps it. Backed by a
/// `VkPipelineCache` that is read from and saved to `diskPath` when one is given, so a later
/// process skips the driver's shader compilation. With a record directory, it notes the pipelines callers ask for
/// under the workload they run, and creates on a background thread those an earlier process noted for it.
/// `@unchecked Sendable`: the Vulkan handles are immutable; the maps are behind mutexes.
final class PipelineCache: @unchecked Sendable {
    struct Key: Hashable {
        let variant: ShaderVariant
        let constants: [UInt32]
    }

    /// One key's pipeline, created by whichever thread asks first while the others wait for it: different keys
    /// are created at once, so the background thread never holds up a pipeline it has not reached.
    private final class Slot: Sendable {
        let pipeline = Mutex<ComputePipeline?>(nil)
    }

    private struct State {
        var modules: [ShaderVariant: VkShaderModule] = [:]
        var slots: [Key: Slot] = [:]
        var created = 0
    }

    let device: VulkanDevice
    let diskPath: URL?
    let cache: VkPipelineCache
    /// Where pipeline creation, the driver's shader compilation, is timed while profiling.
    let profile: DispatchProfile?
    private let state = Mutex(State())
    /// Where records of the pipelines workloads asked for are kept; nil keeps none.
    private let recordDirectory: URL?
    /// The record callers' pipelines are noted in, with its entries, those read and those added since; behind their
    /// own lock, held while the file is written.
    private let recorded = Mutex<(record: PipelineRecord, entries: [PipelineRecord.Entry], keys: Set<Key>)?>(nil)
    /// Recorded pipelines the background thread has yet to create, and whether it is running.
    private let backlog = Mutex<(entries: [PipelineRecord.Entry], running: Bool)>(([], false))
    /// Left once the background thread has created its backlog.
    private let warmed = DispatchGroup()
    /// Optional variants the driver could not build; their operators run their portable kernels from then on.
    private let refused = Mutex<Set<ShaderVariant>>([])
    /// Variants whose pipelines fail to build as a driver's might (tests of the fallbacks).
    let simulatedFailures = Mutex<Set<ShaderVariant>>([])

    init(device: VulkanDevice, diskPath: URL?, profile: DispatchProfile? = nil, recordDirectory: URL? = nil) throws(VulkanError) {
        self.device = device
        self.diskPath = diskPath
        self.profile = profile
        self.recordDirectory = recordDirectory
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
        if let recordDirectory { PipelineRecord.removeOtherBuilds(in: recordDirectory, deviceIdentity: device.pipelineCacheIdentity) }
    }

    /// Makes `workload`'s record (nil: work outside any workflow) the one callers' pipelines are noted in, and creates
    /// on a background thread, in the order they were first asked for, the pipelines it lists that do not exist yet.
    /// Those of an earlier workload that the thread has not reached are dropped.
    func anticipate(workload: String?) {
        guard let recordDirectory else { return }
        let record = PipelineRecord(directory: recordDirectory, deviceIdentity: device.pipelineCacheIdentity, workload: workload)
        let entries = record.read()
        recorded.withLock { $0 = (record, entries, Set(entries.map { Key(variant: $0.variant, constants: $0.constants) })) }
        let starts = backlog.withLock { backlog in
            backlog.entries = entries
            guard !backlog.running, !entries.isEmpty else { return false }
            backlog.running = true
            return true
        }
        guard starts else { return }
        warmed.enter()
        // The thread keeps the cache alive until its backlog is empty: at most a record's length of pipeline creations.
        Thread { [self] in
            while let entry = backlog.withLock({ backlog -> PipelineRecord.Entry? in
                guard !backlog.entries.isEmpty else {
                    backlog.running = false
                    return nil
                }
                return backlog.entries.removeFirst()
            }) {
                _ = try? pipeline(Key(variant: entry.variant, constants: entry.constants), bindings: entry.storageBindings,
                                  texelBindings: entry.texelBindings, forCaller: false)
            }
            warmed.leave()
        }.start()
    }

    deinit {
        state.withLock { state in
            state.slots.removeAll()
            for module in state.modules.values { vkDestroyShaderModule(device.handle, module, nil) }
        }
        vkDestroyPipelineCache(device.handle, cache, nil)
    }

    /// The pipeline for `variant` whose shader declares `bindings` storage buffers followed by
    /// `texelBindings` uniform texel buffers.
    func pipeline(_ variant: ShaderVariant, bindings: Int, texelBindings: Int = 0, constants: [UInt32] = []) throws(VulkanError) -> ComputePipeline {
        try pipeline(Key(variant: variant, constants: constants), bindings: bindings, texelBindings: texelBindings, forCaller: true)
    }

    /// The pipeline for an optional variant (the cooperative-matrix kernels), or nil when the driver cannot build it:
    /// the variant is then refused for the rest of the process, with one line on standard error naming the caller's
    /// `fallback`, which the caller runs instead.
    func optionalPipeline(_ variant: ShaderVariant, bindings: Int, texelBindings: Int = 0, constants: [UInt32] = [],
                          fallback: String = "the portable kernel") -> ComputePipeline? {
        guard !isRefused(variant) else { return nil }
        do {
            return try pipeline(variant, bindings: bindings, texelBindings: texelBindings, constants: constants)
        } catch {
            if refused.withLock({ $0.insert(variant).inserted }) {
                FileHandle.standardError.write(Data("loom: \(device.info.name) could not build \(variant.name) (\(error)); using \(fallback) instead\n".utf8))
            }
            return nil
        }
    }

    /// True once `optionalPipeline` found that the driver cannot build `variant`.
    func isRefused(_ variant: ShaderVariant) -> Bool {
        refused.withLock { $0.contains(variant) }
    }

    /// Waits until the pipelines the current record listed exist (tests).
    func waitForRecordedPipelines() {
        warmed.wait()
    }

    private func pipeline(_ key: Key, bindings: Int, texelBindings: Int, forCaller: Bool) throws(VulkanError) -> ComputePipeline {
        let slot = state.withLock { state in
            if let slot = state.slots[key] { return slot }
            let slot = Slot()
            state.slots[key] = slot
            return slot
        }
        let result: Result<ComputePipeline, VulkanError> = slot.pipeline.withLock { existing in
            if let existing { return .success(existing) }
            if simulatedFailures.withLock({ $0.contains(key.variant) }) {
                return .failure(VulkanError.callFailed(call: "vkCreateComputePipelines", result: VK_ERROR_INITIALIZATION_FAILED.rawValue))
            }
            do throws(VulkanError) {
                let module = try module(for: key.variant)
                let started = ContinuousClock.now
                let pipeline = try ComputePipeline(device: device, module: module, variant: key.variant, storageBindings: bindings,
                                                   texelBindings: texelBindings, constants: key.constants, cache: cache)
                if forCaller {
                    let elapsed = (ContinuousClock.now - started).components
                    profile?.addPipelineCreation(of: key.variant, seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
                }
                state.withLock { $0.created += 1 }
                existing = pipeline
                return .success(pipeline)
            } catch {
                return .failure(error)
            }
        }
        let pipeline = try result.get()
        // A pipeline another workload made still belongs in this one's record.
        if forCaller { note(key, bindings: bindings, texelBindings: texelBindings) }
        return pipeline
    }

    /// Adds a pipeline a caller asked for to the current record, rewriting the file when it is new to it.
    private func note(_ key: Key, bindings: Int, texelBindings: Int) {
        recorded.withLock { recorded in
            guard var current = recorded, current.entries.count < PipelineRecord.capacity, current.keys.insert(key).inserted else { return }
            current.entries.append(PipelineRecord.Entry(variant: key.variant, constants: key.constants, storageBindings: bindings,
                                                        texelBindings: texelBindings))
            current.record.write(current.entries)
            recorded = current
        }
    }

    private func module(for variant: ShaderVariant) throws(VulkanError) -> VkShaderModule {
        let result: Result<VkShaderModule, VulkanError> = state.withLock { state in
            if let existing = state.modules[variant] { return .success(existing) }
            do throws(VulkanError) {
                let module = try makeModule(variant)
                state.modules[variant] = module
                return .success(module)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    var pipelineCount: Int { state.withLock { $0.created } }

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

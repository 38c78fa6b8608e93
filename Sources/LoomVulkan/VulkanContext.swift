import Foundation
import Synchronization

/// The entry point: a device with its allocator, staging transfers and pipeline cache. Create one
/// per process and share it; record work with `makeRecorder()`:
///
///     let context = try VulkanContext()
///     let x = try context.upload(values, shape: [tokens, 3072])
///     let w = try mappedFile.withUnsafeBytes { try context.upload(bytes: $0, shape: [12288, 3072], dtype: .bf16) }
///     let recorder = try context.makeRecorder()
///     let h = try recorder.gelu(recorder.linear(x, weight: w), approximation: .tanh)
///     try recorder.submit()
///     let result = try context.download(h)
///
/// Environment: `LOOM_VULKAN_DEVICE` (device index or name substring),
/// `LOOM_VULKAN_PIPELINE_CACHE` (pipeline cache file) and `LOOM_ACTIVATION_STORAGE` (f32, f16 or
/// bf16: see `activationStorage`).
public final class VulkanContext: Sendable {
    public let device: VulkanDevice
    let allocator: MemoryAllocator
    let transfers: StagingTransfer
    let pipelines: PipelineCache
    /// The matmul kernel operators use; `MatmulKernel.preferred(for:)` unless chosen at init.
    public let matmulKernel: MatmulKernel
    /// True when this context runs cooperative-matrix kernels (chosen for GPUs that have them, or
    /// asked for with `matmulKernel: .cooperative` or `.cooperative2`): attention and convolution
    /// then take their (KHR) cooperative variants too, where the device and the build have them.
    public var usesCooperativeMatrices: Bool { matmulKernel.isCooperative }
    /// The dtype models store activations in where their numerics allow it (Flux blocks: the
    /// normalised inputs of projections, q, k, v, attention outputs and the MLP hidden), halving
    /// the memory traffic between operators. The residual stream and what norms and softmax
    /// accumulate stay f32. bf16 (as ComfyUI runs Flux on GPUs) where cooperative matrices are
    /// used, else f32, which is faster on CPU devices.
    public let activationStorage: DType
    /// The subgroup size over which the texel kernels' lanes share what they all fetch (the convolution's weights, the
    /// matmul's rows of A, attention's key and value rows) with shuffles; nil where subgroups cannot shuffle or the
    /// context was made with `sharingFetches: false`.
    let fetchSharingSubgroupSize: Int?
    /// While on, every recorder made from this context times its dispatches into it.
    public let profile = DispatchProfile()
    /// One f32 zero, made on first use: read through zero strides, it fills a view of any shape (`zeros(shape:)`).
    private let zero = Mutex<Tensor?>(nil)

    /// - Parameters:
    ///   - selector: device index or name substring; defaults to `LOOM_VULKAN_DEVICE`.
    ///   - pipelineCachePath: where the driver's pipeline cache is loaded from and saved to;
    ///     defaults to `LOOM_VULKAN_PIPELINE_CACHE`, none when unset.
    ///   - pipelineRecordDirectory: where to note the pipelines this process asks for and to read those an earlier
    ///     process asked for, which are then created on a background thread ahead of need (see `PipelineRecord`); none
    ///     by default.
    ///   - workload: the work whose record is read and added to, until `anticipatePipelines(of:)` names another; nil
    ///     for work outside any workflow.
    ///   - matmulKernel: overrides the kernel chosen for the device kind (tests, comparisons).
    ///   - activationStorage: overrides `activationStorage`; defaults to `LOOM_ACTIVATION_STORAGE`.
    ///   - sharingFetches: false keeps the texel kernels' lanes from sharing fetches through subgroups (tests, comparisons).
    public init(selector: String? = ProcessInfo.processInfo.environment["LOOM_VULKAN_DEVICE"],
                pipelineCachePath: URL? = ProcessInfo.processInfo.environment["LOOM_VULKAN_PIPELINE_CACHE"].map { URL(fileURLWithPath: $0) },
                pipelineRecordDirectory: URL? = nil,
                workload: String? = nil,
                matmulKernel: MatmulKernel? = nil,
                activationStorage: DType? = nil,
                sharingFetches: Bool = true) throws(VulkanError) {
        var storage = activationStorage
        if storage == nil, let name = ProcessInfo.processInfo.environment["LOOM_ACTIVATION_STORAGE"] {
            guard let named = DType(rawValue: name) else { throw .invalidArgument("LOOM_ACTIVATION_STORAGE must be f32, f16 or bf16, not \"\(name)\"") }
            storage = named
        }
        if let storage, ![.f32, .f16, .bf16].contains(storage) {
            throw .invalidArgument("activation storage must be f32, f16 or bf16, not \(storage)")
        }
        device = try VulkanDevice(selector: selector)
        // GPUs with cooperative matrices use them; CPU devices keep the texel kernel, which is faster there.
        let built = ShaderVariant.matmul(.cooperative, .f16).isAvailable
        let cooperative = device.supportsCooperativeMatrixMatmul && device.info.kind != .cpu && built
        if device.supportsCooperativeMatrixMatmul && !built {
            FileHandle.standardError.write(Data("loom: \(device.info.name) has VK_KHR_cooperative_matrix, but this build's glslang could not compile the matmul_coopmat variants; using the f32 kernels\n".utf8))
        }
        // Where the device also has VK_NV_cooperative_matrix2 and the build its variants, matmuls take those.
        let built2 = ShaderVariant.matmul(.cooperative2, .f16).isAvailable
        if cooperative && device.supportsCooperativeMatrix2Matmul && !built2 {
            FileHandle.standardError.write(Data("loom: \(device.info.name) has VK_NV_cooperative_matrix2, but this build's glslang (15 or newer needed) could not compile the matmul_coopmat2 variants; using matmul_coopmat\n".utf8))
        }
        let preferred: MatmulKernel = !cooperative ? .preferred(for: device.info.kind)
            : device.supportsCooperativeMatrix2Matmul && built2 ? .cooperative2 : .cooperative
        self.matmulKernel = matmulKernel ?? preferred
        if let storage, storage != .f32, !device.supports16BitStorage {
            throw .invalidArgument("\(device.info.name) cannot store 16-bit values in buffers (storageBuffer16BitAccess); activation storage \(storage) is unavailable, use f32")
        }
        self.activationStorage = storage ?? (self.matmulKernel.isCooperative && device.supportsCooperativeMatrixMatmul && device.supports16BitStorage ? .bf16 : .f32)
        fetchSharingSubgroupSize = sharingFetches ? device.subgroups.sharingSize : nil
        allocator = MemoryAllocator(device: device)
        transfers = try StagingTransfer(device: device)
        pipelines = try PipelineCache(device: device, diskPath: pipelineCachePath, profile: profile, recordDirectory: pipelineRecordDirectory)
        pipelines.anticipate(workload: workload)
    }

    /// Starts creating, in the background, the pipelines an earlier run of `workload` asked for
    /// (`ValidatedPrompt.workload`), and notes the pipelines asked for from now on under it. Nothing without a
    /// pipeline record directory.
    public func anticipatePipelines(of workload: String?) {
        pipelines.anticipate(workload: workload)
    }

    /// A recorder for a batch of operators; `profiling` times each dispatch with timestamp queries.
    public func makeRecorder(profiling: Bool = false) throws(VulkanError) -> CommandRecorder {
        try CommandRecorder(context: self, profiling: profiling)
    }

    /// A contiguous tensor with undefined contents.
    public func makeTensor(shape: [Int], dtype: DType = .f32) throws(VulkanError) -> Tensor {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .invalidArgument("negative dimension in \(shape)") }
        let count = shape.reduce(1, *)
        guard count % dtype.elementsPerBlock == 0 else { throw .invalidArgument("\(count) elements are not whole \(dtype) blocks") }
        let storage = try allocator.allocate(bytes: dtype.byteCount(elements: count))
        return Tensor(storage: storage, dtype: dtype, shape: shape)
    }

    /// A new tensor holding `values` (row-major) encoded in `dtype`.
    public func upload(_ values: [Float], shape: [Int], dtype: DType = .f32) throws(VulkanError) -> Tensor {
        guard values.count == shape.reduce(1, *), values.count % dtype.elementsPerBlock == 0 else {
            throw .invalidArgument("\(values.count) values for \(dtype) shape \(shape)")
        }
        let bytes = dtype.encode(values)
        return try rethrowingVulkanErrors { try bytes.withUnsafeBytes { try upload(bytes: $0, shape: shape, dtype: dtype) } }
    }

    /// A new tensor filled from raw bytes already in `dtype` (for example a memory-mapped
    /// safetensors region); the bytes are streamed through the staging buffer without another copy.
    public func upload(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws(VulkanError) -> Tensor {
        let count = shape.reduce(1, *)
        guard count % dtype.elementsPerBlock == 0, bytes.count == dtype.byteCount(elements: count) else {
            throw .invalidArgument("\(bytes.count) bytes for \(dtype) shape \(shape)")
        }
        let tensor = try makeTensor(shape: shape, dtype: dtype)
        try transfers.upload(bytes, to: tensor.storage)
        return tensor
    }

    /// The elements of `tensor` in row-major order of its shape, decoded to Float. Views are made
    /// contiguous on the device first (f32, f16 or bf16 ones; `contiguous` keeps their dtype).
    public func download(_ tensor: Tensor) throws(VulkanError) -> [Float] {
        if !tensor.isContiguous {
            let recorder = try makeRecorder()
            let dense = try recorder.contiguous(tensor)
            try recorder.submit()
            return try download(dense)
        }
        guard tensor.offset % tensor.dtype.elementsPerBlock == 0 else { throw .invalidArgument("view starts inside a \(tensor.dtype) block") }
        var bytes = [UInt8](repeating: 0, count: tensor.dtype.byteCount(elements: tensor.count))
        let byteOffset = tensor.dtype.byteCount(elements: tensor.offset)
        try rethrowingVulkanErrors {
            try bytes.withUnsafeMutableBytes { try transfers.download(from: tensor.storage, byteOffset: byteOffset, into: $0) }
        }
        return tensor.dtype.decode(bytes)
    }

    /// A read-only f32 view of `shape` whose every element is 0 (all its strides are 0), for copies that clear.
    func zeros(shape: [Int]) throws(VulkanError) -> Tensor {
        let scalar = try zero.withLock { (zero) throws(VulkanError) -> Tensor in
            if let zero { return zero }
            let made = try upload([0], shape: [1])
            zero = made
            return made
        }
        return Tensor(storage: scalar.storage, dtype: .f32, shape: shape, strides: shape.map { _ in 0 }, offset: scalar.offset)
    }

    /// Device memory held in shared blocks, whether tensors use it or not.
    public var reservedMemoryBytes: Int { allocator.reservedBytes }

    /// Bytes that live tensors occupy now.
    public var tensorMemoryBytes: Int { device.tensorMemoryBytes }

    /// The most bytes live tensors occupied at once since the last `resetPeakTensorMemory()`.
    public var peakTensorMemoryBytes: Int { device.peakTensorMemoryBytes }

    public func resetPeakTensorMemory() { device.resetPeakMemory() }

    /// Gives device memory blocks that no tensor uses back to the driver.
    public func releaseUnusedMemory() { allocator.releaseUnusedBlocks() }

    /// Saves the driver's pipeline cache to `pipelineCachePath`, if one was configured.
    public func savePipelineCache() throws(VulkanError) { try pipelines.save() }
}

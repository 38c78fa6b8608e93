import CVulkan
import Synchronization

/// A byte range of a `MemoryBlock` holding one tensor's storage; the range returns to its block
/// when the last reference goes away.
public final class DeviceBuffer: Sendable {
    let block: MemoryBlock
    let offset: Int
    public let size: Int
    /// Texel-buffer views of this range, made on first use per format (matmul weights are read
    /// through them many times).
    private let views = Mutex<[TexelFormat: VkBufferView]>([:])
    /// Rearranged copies of tensors viewing this range, made by `prepared(_:for:make:)`.
    private let preparedCopies = Mutex<[PreparedKey: Tensor]>([:])

    private struct PreparedKey: Hashable {
        let purpose: String
        let offset: Int
        let shape: [Int]
        let strides: [Int]
        let dtype: DType
    }

    init(block: MemoryBlock, offset: Int, size: Int) {
        self.block = block
        self.offset = offset
        self.size = size
        block.device.recordTensorStorage(bytes: size)
    }

    deinit {
        views.withLock { views in
            for view in views.values { vkDestroyBufferView(block.device.handle, view, nil) }
        }
        block.release(offset..<(offset + size))
        block.device.recordTensorStorage(bytes: -size)
    }

    var handle: VkBuffer { block.buffer }

    /// The copy of `view` (a tensor of this storage) that `make` produces for `purpose`, made on first use and kept
    /// as long as this range: a kernel that reads weights in a layout or dtype of its own (the texel convolution)
    /// rearranges each weight once, since model weights do not change once loaded, instead of on every call.
    /// `make` must leave the copy ready (its work submitted and waited for): later recorders get it as it is.
    func prepared(_ view: Tensor, for purpose: String, make: () throws(VulkanError) -> Tensor) throws(VulkanError) -> Tensor {
        let key = PreparedKey(purpose: purpose, offset: view.offset, shape: view.shape, strides: view.strides, dtype: view.dtype)
        return try preparedCopies.withLock { (copies) throws(VulkanError) -> Tensor in
            if let existing = copies[key] { return existing }
            let copy = try make()
            copies[key] = copy
            return copy
        }
    }

    /// How many prepared copies this range keeps.
    var preparedCount: Int { preparedCopies.withLock { $0.count } }

    /// Whether two buffers share bytes (only possible for views of one allocation, but cheap to check).
    func overlaps(_ other: DeviceBuffer) -> Bool {
        block === other.block && offset < other.offset + other.size && other.offset < offset + size
    }

    /// A view reading this range as texels of `format`; a trailing partial texel is left out.
    func texelView(_ format: TexelFormat) throws(VulkanError) -> VkBufferView {
        let result: Result<VkBufferView, VulkanError> = views.withLock { views in
            if let existing = views[format] { return .success(existing) }
            var info = VkBufferViewCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO
            info.buffer = block.buffer
            info.format = format.vulkanFormat
            info.offset = VkDeviceSize(offset)
            info.range = VkDeviceSize(max(size / format.bytes, 1) * format.bytes)
            var view: VkBufferView?
            let created = vkCreateBufferView(block.device.handle, &info, nil, &view)
            guard created == VK_SUCCESS, let view else { return .failure(VulkanError(result: created, call: "vkCreateBufferView")) }
            views[format] = view
            return .success(view)
        }
        switch result {
        case .success(let view): return view
        case .failure(let error): throw error
        }
    }
}

/// Texel formats that shaders read buffers through (`samplerBuffer`, `usamplerBuffer`).
enum TexelFormat: Hashable, Sendable {
    /// Four f32 per texel.
    case rgba32Float
    /// Four f16 per texel, read as f32.
    case rgba16Float
    /// One f32 per texel (gathers at any element offset).
    case r32Float
    /// Four 32-bit words per texel (eight packed 16-bit values).
    case rgba32Uint
    /// Two 32-bit words per texel (eight packed 8-bit values).
    case rg32Uint
    /// One 16-bit word per texel (quantised blocks are 2-byte aligned, not 4).
    case r16Uint

    var vulkanFormat: VkFormat {
        switch self {
        case .rgba32Float: VK_FORMAT_R32G32B32A32_SFLOAT
        case .rgba16Float: VK_FORMAT_R16G16B16A16_SFLOAT
        case .r32Float: VK_FORMAT_R32_SFLOAT
        case .rgba32Uint: VK_FORMAT_R32G32B32A32_UINT
        case .rg32Uint: VK_FORMAT_R32G32_UINT
        case .r16Uint: VK_FORMAT_R16_UINT
        }
    }

    var bytes: Int {
        switch self {
        case .rgba32Float, .rgba32Uint: 16
        case .rg32Uint, .rgba16Float: 8
        case .r32Float: 4
        case .r16Uint: 2
        }
    }
}

import CVulkan

/// Everything the Vulkan runtime and its operators report. Device loss and memory exhaustion are
/// their own cases so callers can react (retry smaller, tile, or give up) without parsing text.
public enum VulkanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The Vulkan loader found no usable device (or no loader/driver at all).
    case noDevice(String)
    /// `LOOM_VULKAN_DEVICE` named a device that does not exist.
    case deviceNotFound(selector: String, available: [String])
    case deviceLost
    case outOfDeviceMemory
    case outOfHostMemory
    /// A Vulkan call failed with a result that has no dedicated case.
    case callFailed(call: String, result: Int32)
    /// A single tensor larger than the device can bind as one storage buffer.
    case tensorTooLarge(bytes: Int, limit: Int)
    /// Shapes, dtypes or layouts that an operator does not accept.
    case invalidArgument(String)
    /// A feature the device lacks.
    case unsupported(String)
    /// Reading or writing a file (the pipeline cache) failed.
    case fileAccess(String)

    init(result: VkResult, call: String) {
        switch result {
        case VK_ERROR_DEVICE_LOST: self = .deviceLost
        case VK_ERROR_OUT_OF_DEVICE_MEMORY: self = .outOfDeviceMemory
        case VK_ERROR_OUT_OF_HOST_MEMORY: self = .outOfHostMemory
        default: self = .callFailed(call: call, result: result.rawValue)
        }
    }

    /// Device memory ran out, or one tensor outgrew what the device can bind: the same work in smaller pieces may fit.
    public var isExhaustion: Bool {
        switch self {
        case .outOfDeviceMemory, .tensorTooLarge: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .noDevice(let detail):
            return "No Vulkan device: \(detail). Install a driver, e.g. `apt install libvulkan1 mesa-vulkan-drivers` (lavapipe CPU device) or your GPU vendor's Vulkan driver."
        case .deviceNotFound(let selector, let available):
            return "LOOM_VULKAN_DEVICE=\(selector) matches no device; available: \(available.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: ", "))"
        case .deviceLost: return "Vulkan device lost"
        case .outOfDeviceMemory: return "Vulkan device out of memory"
        case .outOfHostMemory: return "Vulkan host out of memory"
        case .callFailed(let call, let result): return "\(call) failed with VkResult \(result)"
        case .tensorTooLarge(let bytes, let limit): return "tensor of \(bytes) bytes exceeds the device's storage buffer limit of \(limit) bytes"
        case .invalidArgument(let message): return message
        case .unsupported(let feature): return "the Vulkan device does not support \(feature)"
        case .fileAccess(let message): return message
        }
    }
}

/// Turns a failing `VkResult` into a thrown `VulkanError`.
@inline(__always)
func check(_ result: VkResult, _ call: String) throws(VulkanError) {
    if result != VK_SUCCESS { throw VulkanError(result: result, call: call) }
}

/// Runs `body`, whose only errors are `VulkanError`s passing through APIs that rethrow untyped
/// (`withUnsafeBytes` and friends), and restores the error type.
func rethrowingVulkanErrors<T>(_ body: () throws -> T) throws(VulkanError) -> T {
    do {
        return try body()
    } catch let error as VulkanError {
        throw error
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
}

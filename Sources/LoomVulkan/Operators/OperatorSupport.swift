/// Shape plumbing shared by the operators.

/// Shape and strides padded on the left to rank 4 (size 1, stride 0), the form the element-wise,
/// softmax and norm shaders take.
func rank4(_ tensor: Tensor, operation: String) throws(VulkanError) -> (shape: [Int], strides: [Int]) {
    guard tensor.rank <= 4 else { throw .invalidArgument("\(operation): rank \(tensor.rank) > 4 is not supported") }
    let padding = 4 - tensor.rank
    return (Array(repeating: 1, count: padding) + tensor.shape, Array(repeating: 0, count: padding) + tensor.strides)
}

func requireF32(_ tensor: Tensor, _ operation: String, _ role: String = "input") throws(VulkanError) {
    guard tensor.dtype == .f32 else { throw .invalidArgument("\(operation): \(role) must be f32, not \(tensor.dtype)") }
}

/// A per-feature parameter (norm weight, bias): f32, contiguous, `count` elements.
func requireVector(_ tensor: Tensor, count: Int, _ operation: String, _ role: String) throws(VulkanError) {
    try requireF32(tensor, operation, role)
    guard tensor.count == count, tensor.isContiguous else {
        throw .invalidArgument("\(operation): \(role) must be a contiguous vector of \(count), not shape \(tensor.shape)")
    }
}

/// A convolution kernel as the conv2d.comp kernels read it: contiguous, f32, f16 or bf16.
func requireConvolutionWeight(_ weight: Tensor, _ operation: String) throws(VulkanError) {
    guard [.f32, .f16, .bf16].contains(weight.dtype), weight.isContiguous else {
        throw .invalidArgument("\(operation): weight must be contiguous f32, f16 or bf16, not \(weight.dtype) with strides \(weight.strides)")
    }
}

/// The fewest dimensions that walk `shape` in row-major order for every operand: size-1
/// dimensions go, and a dimension merges into the next inner one when every operand's strides
/// allow it. Element-wise shaders then need fewer index divisions. At least one dimension remains.
func collapseDimensions(shape: [Int], strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
    var mergedShape: [Int] = []  // innermost first while building
    var mergedStrides = strides.map { _ in [Int]() }
    for axis in shape.indices.reversed() where shape[axis] != 1 {
        let canMerge = !mergedShape.isEmpty && strides.indices.allSatisfy { operand in
            strides[operand][axis] == mergedStrides[operand].last! * mergedShape.last!
        }
        if canMerge {
            mergedShape[mergedShape.count - 1] *= shape[axis]
        } else {
            mergedShape.append(shape[axis])
            for operand in strides.indices { mergedStrides[operand].append(strides[operand][axis]) }
        }
    }
    if mergedShape.isEmpty { return ([1], strides.map { _ in [0] }) }
    return (mergedShape.reversed(), mergedStrides.map { $0.reversed() })
}

/// `shape` and each operand's strides merged (`collapseDimensions`) and padded on the left to
/// rank 4, plus the merged rank: the push constants and RANK constant of strided.glsl.
func stridedLayout(shape: [Int], strides: [[Int]], operation: String) throws(VulkanError) -> (shape: [Int], strides: [[Int]], rank: Int) {
    let merged = collapseDimensions(shape: shape, strides: strides)
    let rank = merged.shape.count
    guard rank <= 4 else { throw .invalidArgument("\(operation): layout of shape \(shape) needs \(rank) > 4 dimensions") }
    let padding = 4 - rank
    return (Array(repeating: 1, count: padding) + merged.shape, merged.strides.map { Array(repeating: 0, count: padding) + $0 }, rank)
}

/// Numpy-style broadcast of two shapes, right-aligned.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    let left = Array(repeating: 1, count: rank - a.count) + a
    let right = Array(repeating: 1, count: rank - b.count) + b
    var shape: [Int] = []
    for (x, y) in zip(left, right) {
        guard x == y || x == 1 || y == 1 else { return nil }
        shape.append(x == 1 ? y : x)
    }
    return shape
}

/// Strides that read `tensor` as if it had `shape` (its broadcast target): stride 0 on the
/// dimensions it is repeated along.
func broadcastStrides(_ tensor: Tensor, to shape: [Int]) -> [Int] {
    let padding = shape.count - tensor.rank
    return shape.indices.map { axis in
        guard axis >= padding else { return 0 }
        return tensor.shape[axis - padding] == 1 ? 0 : tensor.strides[axis - padding]
    }
}

extension CommandRecorder {
    static let linearWorkgroupSize = 64

    /// Workgroups for a one-invocation-per-item shader (`linearInvocation` in common.glsl),
    /// folded into Y when X would exceed the device limit.
    func linearGroups(_ items: Int) -> (x: Int, y: Int, z: Int) {
        let groups = (items + Self.linearWorkgroupSize - 1) / Self.linearWorkgroupSize
        let x = min(groups, context.device.maxWorkgroupCount.x)
        return (x, x == 0 ? 0 : (groups + x - 1) / x, 1)
    }
}

extension VulkanContext {
    /// Whether activations may be stored as f16 or bf16 between operators (storage16.glsl).
    public var supports16BitActivations: Bool { device.supports16BitStorage }

    /// storage16.glsl's code for an activation tensor (0 f32, 1 f16, 2 bf16); 16-bit storage only
    /// where the device has it.
    func activationStorageCode(_ tensor: Tensor, _ operation: String, _ role: String = "input") throws(VulkanError) -> UInt32 {
        switch tensor.dtype {
        case .f32: return 0
        case .f16, .bf16:
            guard supports16BitActivations else {
                throw .invalidArgument("\(operation): \(role) is \(tensor.dtype), but this device cannot store 16-bit values in buffers; use f32")
            }
            return tensor.dtype == .f16 ? 1 : 2
        default: throw .invalidArgument("\(operation): \(role) must be f32, f16 or bf16, not \(tensor.dtype)")
        }
    }
}

/// A view of device memory: shape and strides in elements, an element offset and a dtype.
/// Views (permute, slice, reshape of contiguous data) share storage and copy nothing.
public struct Tensor: Sendable {
    public let storage: DeviceBuffer
    public let dtype: DType
    public let shape: [Int]
    public let strides: [Int]
    public let offset: Int

    /// A view of `storage`; every element it addresses must lie inside the storage, since
    /// shaders do not check.
    public init(storage: DeviceBuffer, dtype: DType, shape: [Int], strides: [Int]? = nil, offset: Int = 0) {
        let strides = strides ?? Tensor.contiguousStrides(for: shape)
        precondition(strides.count == shape.count, "one stride per dimension")
        if !shape.contains(0) {
            let extents = zip(shape, strides).map { ($0 - 1) * $1 }
            let lowest = offset + extents.filter { $0 < 0 }.reduce(0, +)
            let highest = offset + extents.filter { $0 > 0 }.reduce(0, +)
            let capacity = storage.size / dtype.bytesPerBlock * dtype.elementsPerBlock
            precondition(lowest >= 0 && highest < capacity, "view \(shape) strides \(strides) offset \(offset) exceeds its storage of \(capacity) \(dtype) elements")
        }
        self.storage = storage
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    public static func contiguousStrides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in shape.indices.reversed().dropFirst() { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        return strides
    }

    public var rank: Int { shape.count }
    public var count: Int { shape.reduce(1, *) }

    /// Row-major dense: the layout a freshly allocated tensor has.
    public var isContiguous: Bool {
        zip(shape, zip(strides, Tensor.contiguousStrides(for: shape))).allSatisfy { size, pair in size == 1 || pair.0 == pair.1 }
    }

    /// Dimensions reordered so that result dimension `i` is dimension `order[i]` of `self`.
    public func permuted(_ order: [Int]) throws(VulkanError) -> Tensor {
        guard order.sorted() == Array(0..<rank) else { throw .invalidArgument("permutation \(order) does not fit rank \(rank)") }
        return Tensor(storage: storage, dtype: dtype, shape: order.map { shape[$0] }, strides: order.map { strides[$0] }, offset: offset)
    }

    public func transposed(_ first: Int, _ second: Int) throws(VulkanError) -> Tensor {
        var order = Array(0..<rank)
        guard order.indices.contains(first), order.indices.contains(second) else { throw .invalidArgument("transpose axes \(first), \(second) outside rank \(rank)") }
        order.swapAt(first, second)
        return try permuted(order)
    }

    /// The elements `range` along `axis`.
    public func sliced(axis: Int, _ range: Range<Int>) throws(VulkanError) -> Tensor {
        guard shape.indices.contains(axis), range.lowerBound >= 0, range.upperBound <= shape[axis] else {
            throw .invalidArgument("slice \(range) outside axis \(axis) of shape \(shape)")
        }
        var newShape = shape
        newShape[axis] = range.count
        return Tensor(storage: storage, dtype: dtype, shape: newShape, strides: strides, offset: offset + range.lowerBound * strides[axis])
    }

    /// The same elements under another shape; only for contiguous tensors.
    public func reshaped(_ newShape: [Int]) throws(VulkanError) -> Tensor {
        guard isContiguous, newShape.reduce(1, *) == count else { throw .invalidArgument("cannot reshape \(shape) (strides \(strides)) to \(newShape)") }
        return Tensor(storage: storage, dtype: dtype, shape: newShape, offset: offset)
    }
}

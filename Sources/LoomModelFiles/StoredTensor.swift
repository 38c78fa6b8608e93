/// One tensor of a model file: its name, type and shape (outermost dimension first, as in PyTorch),
/// and where its bytes lie in the memory-mapped file. Reading the bytes copies nothing.
public struct StoredTensor: Sendable {
    public let name: String
    public let dataType: TensorDataType
    public let shape: [Int]
    /// Absolute byte range in the file; checked against the file size when the file was opened.
    public let byteRange: Range<Int>
    let file: MappedFile

    init(name: String, dataType: TensorDataType, shape: [Int], byteRange: Range<Int>, file: MappedFile) {
        self.name = name
        self.dataType = dataType
        self.shape = shape
        self.byteRange = byteRange
        self.file = file
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// The same bytes under another name.
    public func renamed(_ newName: String) -> StoredTensor {
        StoredTensor(name: newName, dataType: dataType, shape: shape, byteRange: byteRange, file: file)
    }

    /// Rows `range` of the outermost dimension, as a view of the same bytes (nil for block-quantised
    /// storage or a range outside the tensor).
    public func rows(_ range: Range<Int>, named newName: String) -> StoredTensor? {
        guard !dataType.isBlockQuantized, let rows = shape.first, range.lowerBound >= 0, range.upperBound <= rows else { return nil }
        let rowBytes = rows == 0 ? 0 : byteRange.count / rows
        let start = byteRange.lowerBound + range.lowerBound * rowBytes
        return StoredTensor(name: newName, dataType: dataType, shape: [range.count] + shape.dropFirst(),
                            byteRange: start..<(start + range.count * rowBytes), file: file)
    }

    /// A 2-D tensor transposed, in the same storage type, copied into memory of its own (for the few
    /// small matrices whose layout differs between checkpoint conventions). Nil for other ranks or
    /// block-quantised storage.
    public func transposed(named newName: String) -> StoredTensor? {
        guard shape.count == 2, !dataType.isBlockQuantized else { return nil }
        let (rows, columns) = (shape[0], shape[1])
        let width = dataType.blockByteCount
        var copy = [UInt8](repeating: 0, count: byteRange.count)
        withUnsafeBytes { bytes in
            for row in 0..<rows {
                for column in 0..<columns {
                    for byte in 0..<width {
                        copy[(column * rows + row) * width + byte] = bytes[(row * columns + column) * width + byte]
                    }
                }
            }
        }
        let owned = MappedFile(copying: copy, path: file.path)
        return StoredTensor(name: newName, dataType: dataType, shape: [columns, rows], byteRange: 0..<copy.count, file: owned)
    }
    /// `parts` stacked along the outermost dimension in one tensor of their storage type, copied into memory
    /// of its own: diffusers' separate q, k and v as BFL's fused matrix. Row-major storage makes this a
    /// concatenation of the parts' bytes, block-quantised rows included. Nil when the parts differ in storage
    /// type or inner dimensions.
    public static func concatenatingRows(_ parts: [StoredTensor], named newName: String) -> StoredTensor? {
        guard let first = parts.first,
              parts.allSatisfy({ $0.dataType == first.dataType && $0.shape.count == first.shape.count && $0.shape.dropFirst() == first.shape.dropFirst() })
        else { return nil }
        var copy: [UInt8] = []
        copy.reserveCapacity(parts.reduce(0) { $0 + $1.byteCount })
        for part in parts { part.withUnsafeBytes { copy += $0 } }
        let rows = parts.reduce(0) { $0 + ($1.shape.first ?? 1) }
        let owned = MappedFile(copying: copy, path: first.file.path)
        return StoredTensor(name: newName, dataType: first.dataType, shape: [rows] + first.shape.dropFirst(),
                            byteRange: 0..<copy.count, file: owned)
    }

    public var byteCount: Int { byteRange.count }

    /// The stored bytes, straight from the map. The buffer must not escape `body`.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withExtendedLifetime(file) { () throws(Failure) -> Result in
            try body(file.bytes(in: byteRange))
        }
    }

    /// The elements converted to Float (block-quantised types dequantised), for tests and CPU checks.
    /// Copies the whole tensor: not for multi-gigabyte weights.
    public func floats() -> [Float] {
        withUnsafeBytes { bytes in TensorDecoding.floats(from: bytes, dataType: dataType, count: elementCount) }
    }
}

/// CPU decoding of stored tensor bytes to Float.
public enum TensorDecoding {
    /// Decodes `count` elements of `dataType` from `bytes`, which must hold exactly their storage.
    public static func floats(from bytes: UnsafeRawBufferPointer, dataType: TensorDataType, count: Int) -> [Float] {
        precondition(dataType.byteCount(elementCount: count) == bytes.count, "byte count does not match the element count")
        if dataType.isBlockQuantized {
            return BlockDequantization.floats(from: bytes, dataType: dataType, count: count)
        }
        return [Float](unsafeUninitializedCapacity: count) { output, initialized in
            for index in 0..<count {
                output[index] = element(index, of: bytes, dataType: dataType)
            }
            initialized = count
        }
    }

    private static func element(_ index: Int, of bytes: UnsafeRawBufferPointer, dataType: TensorDataType) -> Float {
        func load<T: FixedWidthInteger>(_ type: T.Type) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
        }
        switch dataType {
        case .bool: return bytes[index] != 0 ? 1 : 0
        case .uint8: return Float(bytes[index])
        case .int8: return Float(Int8(bitPattern: bytes[index]))
        case .float8E4M3: return ScalarConversion.float(fromE4M3: bytes[index])
        case .float8E5M2: return ScalarConversion.float(fromE5M2: bytes[index])
        case .int16: return Float(load(Int16.self))
        case .uint16: return Float(load(UInt16.self))
        case .float16: return ScalarConversion.float(fromHalf: load(UInt16.self))
        case .bfloat16: return ScalarConversion.float(fromBFloat16: load(UInt16.self))
        case .int32: return Float(load(Int32.self))
        case .uint32: return Float(load(UInt32.self))
        case .float32: return Float(bitPattern: load(UInt32.self))
        case .float64: return Float(Double(bitPattern: load(UInt64.self)))
        case .int64: return Float(load(Int64.self))
        case .uint64: return Float(load(UInt64.self))
        case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K:
            preconditionFailure("block types are decoded per block")
        }
    }
}

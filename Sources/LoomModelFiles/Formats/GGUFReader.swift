/// Reads GGUF v2/v3 (v1 used 32-bit counts and is obsolete): magic, version, tensor and key-value
/// counts, typed key-values, tensor infos, then tensor data aligned to `general.alignment`.
enum GGUFReader {
    /// Nested arrays deeper than this are hostile; real files nest at most once.
    static let maximumArrayDepth = 8
    static let maximumDimensions = 4
    /// Metadata values (array elements included) a file may hold. Each costs tens of bytes in memory against
    /// one to eight in the file, so the count, not the file size, bounds what reading the metadata allocates;
    /// the largest tokenizers stored in GGUF hold about a million.
    static let maximumMetadataValues = 1 << 22

    static func read(_ file: MappedFile) throws(ModelFileError) -> ModelFile {
        let path = file.path
        var cursor = ByteCursor(file.bytes, path: path, context: "GGUF header")
        _ = try cursor.readBytes(4, "the magic")
        let version = try cursor.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            throw ModelFileError(.unsupported, path: path, "GGUF version \(version) is not supported (Loom reads versions 2 and 3)")
        }
        let tensorCount = try cursor.read(UInt64.self, "the tensor count")
        let keyValueCount = try cursor.read(UInt64.self, "the key-value count")
        // Each key-value needs at least 12 bytes and each tensor info 24, so counts beyond that are lies;
        // checking first keeps a hostile count from driving a huge loop or allocation.
        guard keyValueCount <= UInt64(cursor.remaining / 12), tensorCount <= UInt64(cursor.remaining / 24) else {
            throw cursor.truncated("the \(keyValueCount) key-values and \(tensorCount) tensor infos it declares")
        }

        var metadata: [String: MetadataValue] = [:]
        var valueBudget = maximumMetadataValues
        for _ in 0..<keyValueCount {
            let key = try readString(&cursor, "a metadata key")
            let type = try cursor.read(UInt32.self, "the type of \"\(key)\"")
            metadata[key] = try readValue(type: type, &cursor, key: key, depth: 0, budget: &valueBudget)
        }

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let declared = value.intValue, declared > 0, declared & (declared - 1) == 0 else {
                throw cursor.corrupt("general.alignment must be a power of two")
            }
            alignment = declared
        }

        var infos: [(name: String, dataType: TensorDataType, shape: [Int], offset: Int, byteCount: Int)] = []
        for _ in 0..<tensorCount {
            let name = try readString(&cursor, "a tensor name")
            let dimensionCount = try cursor.read(UInt32.self, "the dimension count of \"\(name)\"")
            guard dimensionCount <= maximumDimensions else {
                throw cursor.corrupt("tensor \"\(name)\" has \(dimensionCount) dimensions (at most \(maximumDimensions))")
            }
            var dimensions: [Int] = []
            for _ in 0..<dimensionCount {
                let size = try cursor.read(UInt64.self, "the dimensions of \"\(name)\"")
                guard let size = Int(exactly: size) else { throw cursor.corrupt("tensor \"\(name)\" has a dimension of \(size)") }
                dimensions.append(size)
            }
            let typeID = try cursor.read(UInt32.self, "the type of \"\(name)\"")
            guard let dataType = GGMLType.supported[typeID] else {
                throw ModelFileError(.unsupported, path: path, "tensor \"\(name)\" has GGML type \(GGMLType.name(of: typeID)), which Loom cannot read")
            }
            let offset = try cursor.read(UInt64.self, "the offset of \"\(name)\"")
            guard let offset = Int(exactly: offset), offset % alignment == 0 else {
                throw cursor.corrupt("tensor \"\(name)\" has data offset \(offset), not a multiple of the alignment \(alignment)")
            }
            // ggml lists dimensions innermost first; blocks run along the innermost one.
            guard dimensions.first.map({ $0 % dataType.blockSize == 0 }) ?? (dataType.blockSize == 1) else {
                throw cursor.corrupt("tensor \"\(name)\" has rows of \(dimensions.first ?? 0) elements, not whole \(dataType.name) blocks of \(dataType.blockSize)")
            }
            guard let count = elementCount(of: dimensions), let byteCount = dataType.byteCount(elementCount: count) else {
                throw cursor.corrupt("tensor \"\(name)\" with dimensions \(dimensions) is too large")
            }
            infos.append((name, dataType, dimensions.reversed(), offset, byteCount))
        }

        let dataStart = (cursor.offset + alignment - 1) / alignment * alignment
        var tensors: [StoredTensor] = []
        for info in infos {
            let (begin, overflow) = dataStart.addingReportingOverflow(info.offset)
            guard !overflow, begin <= file.size, info.byteCount <= file.size - begin else {
                throw ModelFileError(.truncated, path: path, "data of tensor \"\(info.name)\" (\(info.byteCount) bytes at offset \(info.offset)) lies past the end of the \(file.size)-byte file")
            }
            tensors.append(StoredTensor(name: info.name, dataType: info.dataType, shape: info.shape, byteRange: begin..<(begin + info.byteCount), file: file))
        }
        var previous: StoredTensor?
        for tensor in tensors.sorted(by: { $0.byteRange.lowerBound < $1.byteRange.lowerBound }) {
            if let previous, previous.byteRange.upperBound > tensor.byteRange.lowerBound {
                throw ModelFileError(.corrupt, path: path, "data of tensors \"\(previous.name)\" and \"\(tensor.name)\" overlap")
            }
            previous = tensor
        }
        return try ModelFile(path: path, format: .gguf, tensors: tensors, metadata: metadata, fileSize: file.size)
    }

    private static func readString(_ cursor: inout ByteCursor, _ what: String) throws(ModelFileError) -> String {
        let length = try cursor.read(UInt64.self, "the length of \(what)")
        guard length <= UInt64(cursor.remaining) else { throw cursor.truncated(what) }
        return try cursor.readString(byteCount: Int(length), what)
    }

    /// Smallest encoding of each value type, used to bound array counts before reading them.
    private static func minimumSize(of type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: 1
        case 2, 3: 2
        case 4, 5, 6: 4
        case 8, 10, 11, 12: 8
        case 9: 12
        default: nil
        }
    }

    private static func readValue(
        type: UInt32, _ cursor: inout ByteCursor, key: String, depth: Int, budget: inout Int
    ) throws(ModelFileError) -> MetadataValue {
        let what = "the value of \"\(key)\""
        budget -= 1
        guard budget >= 0 else {
            throw ModelFileError(.unsupported, path: cursor.path, "metadata holds more than \(maximumMetadataValues) values (at \"\(key)\")")
        }
        switch type {
        case 0: return .uint(UInt64(try cursor.read(UInt8.self, what)))
        case 1: return .int(Int64(try cursor.read(Int8.self, what)))
        case 2: return .uint(UInt64(try cursor.read(UInt16.self, what)))
        case 3: return .int(Int64(try cursor.read(Int16.self, what)))
        case 4: return .uint(UInt64(try cursor.read(UInt32.self, what)))
        case 5: return .int(Int64(try cursor.read(Int32.self, what)))
        case 6: return .double(Double(Float(bitPattern: try cursor.read(UInt32.self, what))))
        case 7:
            let byte = try cursor.read(UInt8.self, what)
            guard byte <= 1 else { throw cursor.corrupt("boolean \"\(key)\" has value \(byte)") }
            return .bool(byte == 1)
        case 8: return .string(try readString(&cursor, what))
        case 9:
            guard depth < maximumArrayDepth else { throw cursor.corrupt("arrays in \"\(key)\" nest too deeply") }
            let elementType = try cursor.read(UInt32.self, what)
            let count = try cursor.read(UInt64.self, what)
            guard let elementSize = minimumSize(of: elementType) else {
                throw cursor.corrupt("array \"\(key)\" has unknown element type \(elementType)")
            }
            guard count <= UInt64(cursor.remaining / elementSize) else { throw cursor.truncated(what) }
            guard count <= UInt64(budget) else {
                throw ModelFileError(.unsupported, path: cursor.path, "metadata holds more than \(maximumMetadataValues) values (array \"\(key)\" has \(count))")
            }
            var elements: [MetadataValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<count {
                elements.append(try readValue(type: elementType, &cursor, key: key, depth: depth + 1, budget: &budget))
            }
            return .array(elements)
        case 10: return .uint(try cursor.read(UInt64.self, what))
        case 11: return .int(try cursor.read(Int64.self, what))
        case 12: return .double(Double(bitPattern: try cursor.read(UInt64.self, what)))
        default: throw cursor.corrupt("metadata \"\(key)\" has unknown value type \(type)")
        }
    }
}

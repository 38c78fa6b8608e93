import LoomGraph

/// Reads safetensors: a u64 header length, a JSON header mapping names to dtype, shape and
/// `data_offsets` (relative to the data buffer after the header), then the data buffer.
enum SafetensorsReader {
    /// The format's own limit; also what bounds the one allocation made for a header.
    static let maximumHeaderSize = 100_000_000

    static func read(_ file: MappedFile) throws(ModelFileError) -> ModelFile {
        let path = file.path
        var cursor = ByteCursor(file.bytes, path: path, context: "safetensors header")
        let declaredSize = try cursor.read(UInt64.self, "the header length")
        guard declaredSize <= UInt64(maximumHeaderSize) else {
            throw ModelFileError(.corrupt, path: path, "safetensors header length \(declaredSize) exceeds the 100 MB limit (not a safetensors file?)")
        }
        let headerSize = Int(declaredSize)
        guard headerSize <= cursor.remaining else {
            throw ModelFileError(.truncated, path: path, "safetensors header of \(headerSize) bytes does not fit in the \(file.size)-byte file")
        }
        let headerBytes = try cursor.readBytes(headerSize, "the header")
        let header: JSONObject
        do {
            guard let object = try JSONValue(parsing: Array(headerBytes)).objectValue else {
                throw ModelFileError(.corrupt, path: path, "safetensors header is not a JSON object")
            }
            header = object
        } catch let error as JSONSyntaxError {
            throw ModelFileError(.corrupt, path: path, "safetensors header is not valid JSON: \(error)")
        } catch let error as ModelFileError {
            throw error
        } catch {
            throw ModelFileError(.corrupt, path: path, "safetensors header: \(error)")
        }

        let dataStart = 8 + headerSize
        let dataSize = file.size - dataStart
        var metadata: [String: MetadataValue] = [:]
        var entries: [(name: String, dataType: TensorDataType, shape: [Int], range: Range<Int>)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = try readMetadata(value, path: path)
                continue
            }
            entries.append(try readEntry(name: name, value: value, path: path))
        }

        // The data buffer must be tiled exactly by the tensors: no gaps, no overlaps, nothing past the end.
        var expectedBegin = 0
        for entry in entries.sorted(by: { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }) {
            guard entry.range.lowerBound == expectedBegin else {
                let problem = entry.range.lowerBound < expectedBegin ? "overlaps the previous tensor" : "leaves a gap before it"
                throw ModelFileError(.corrupt, path: path, "tensor \"\(entry.name)\" at data offset \(entry.range.lowerBound) \(problem)")
            }
            expectedBegin = entry.range.upperBound
        }
        guard expectedBegin <= dataSize else {
            throw ModelFileError(.truncated, path: path, "the header describes \(expectedBegin) bytes of tensor data but only \(max(dataSize, 0)) follow it")
        }
        guard expectedBegin == dataSize else {
            throw ModelFileError(.corrupt, path: path, "\(dataSize - expectedBegin) bytes after the last tensor are not described by the header")
        }

        let tensors = entries.map { entry in
            StoredTensor(
                name: entry.name, dataType: entry.dataType, shape: entry.shape,
                byteRange: (dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound), file: file)
        }
        return try ModelFile(path: path, format: .safetensors, tensors: tensors, metadata: metadata, fileSize: file.size)
    }

    private static func readMetadata(_ value: JSONValue, path: String) throws(ModelFileError) -> [String: MetadataValue] {
        guard let object = value.objectValue else {
            throw ModelFileError(.corrupt, path: path, "__metadata__ is not an object")
        }
        var metadata: [String: MetadataValue] = [:]
        for (key, entry) in object {
            guard let text = entry.stringValue else {
                throw ModelFileError(.corrupt, path: path, "__metadata__ value for \"\(key)\" is not a string")
            }
            metadata[key] = .string(text)
        }
        return metadata
    }

    private static func readEntry(name: String, value: JSONValue, path: String) throws(ModelFileError)
        -> (name: String, dataType: TensorDataType, shape: [Int], range: Range<Int>)
    {
        func corrupt(_ message: String) -> ModelFileError {
            ModelFileError(.corrupt, path: path, "tensor \"\(name)\": \(message)")
        }
        guard let object = value.objectValue else { throw corrupt("entry is not an object") }
        guard let typeName = object["dtype"]?.stringValue else { throw corrupt("missing dtype") }
        guard let dataType = TensorDataType(rawValue: typeName), !dataType.isBlockQuantized else {
            throw ModelFileError(.unsupported, path: path, "tensor \"\(name)\": unknown safetensors dtype \"\(typeName)\"")
        }
        guard let shapeValues = object["shape"]?.arrayValue else { throw corrupt("missing shape") }
        var shape: [Int] = []
        for dimension in shapeValues {
            guard let size = dimension.intValue, size >= 0 else { throw corrupt("shape \(shapeValues) has a dimension that is not a non-negative integer") }
            shape.append(size)
        }
        guard let offsets = object["data_offsets"]?.arrayValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, end >= begin
        else { throw corrupt("data_offsets must be two increasing non-negative integers") }
        guard let count = elementCount(of: shape), let byteCount = dataType.byteCount(elementCount: count) else {
            throw corrupt("shape \(shape) is too large")
        }
        guard end - begin == byteCount else {
            throw corrupt("data_offsets span \(end - begin) bytes but shape \(shape) of \(typeName) needs \(byteCount)")
        }
        return (name, dataType, shape, begin..<end)
    }
}

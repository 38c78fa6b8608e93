import Foundation
import LoomModelFiles

/// Writes tensors as a safetensors file, for tests that need a variant of a fixture.
enum SafetensorsWriting {
    struct Entry {
        var name: String
        var dataType: TensorDataType
        var shape: [Int]
        var bytes: [UInt8]
    }

    /// The tensors of `file`, bytes as stored.
    static func entries(of file: ModelFile) -> [Entry] {
        file.tensors.map { tensor in
            Entry(name: tensor.name, dataType: tensor.dataType, shape: tensor.shape, bytes: tensor.withUnsafeBytes { Array($0) })
        }
    }

    static func write(_ entries: [Entry], to url: URL) throws {
        var header: [String: Any] = [:]
        var offset = 0
        for entry in entries {
            header[entry.name] = ["dtype": entry.dataType.name, "shape": entry.shape, "data_offsets": [offset, offset + entry.bytes.count]]
            offset += entry.bytes.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: Array(repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var data = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) }
        data.append(json)
        for entry in entries { data.append(contentsOf: entry.bytes) }
        try data.write(to: url)
    }
}

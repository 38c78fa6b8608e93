import Foundation
import LoomModelFiles

/// Writes the tensors of several safetensors files into one, each under a prefix, as all-in-one
/// checkpoints store their models (`model.diffusion_model.`, `vae.`, ...). Bytes are copied as stored.
enum SafetensorsComposer {
    static func compose(_ parts: [(prefix: String, path: String)], into destination: URL) throws {
        var header: [String: Any] = [:]
        var data = Data()
        for (prefix, path) in parts {
            let file = try ModelFile.open(path: path)
            for tensor in file.tensors {
                let start = data.count
                tensor.withUnsafeBytes { data.append(contentsOf: $0) }
                header[prefix + tensor.name] = [
                    "dtype": tensor.dataType.name, "shape": tensor.shape, "data_offsets": [start, data.count],
                ]
            }
        }
        var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        headerBytes.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8))
        var output = Data()
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { output.append(contentsOf: $0) }
        output.append(headerBytes)
        output.append(data)
        try output.write(to: destination)
    }
}

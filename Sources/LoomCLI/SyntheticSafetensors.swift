import Foundation

/// Model files with random f16 weights for benchmarks at sizes no fixture has.
enum SyntheticSafetensors {
    /// Writes `tensors` as f16 safetensors with seeded values of about 1/√fan-in (norm scales near 1, small biases).
    static func write(_ tensors: [(name: String, shape: [Int])], to url: URL, seed: UInt64 = 3) throws {
        var random = SystemRandomNumberGenerator.Seeded(seed: seed)
        var header: [String: Any] = [:]
        var offset = 0
        for tensor in tensors {
            let bytes = 2 * tensor.shape.reduce(1, *)
            header[tensor.name] = ["dtype": "F16", "shape": tensor.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.write(contentsOf: withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) } + json)
        for tensor in tensors {
            let count = tensor.shape.reduce(1, *)
            let isScale = tensor.shape.count == 1 && tensor.name.hasSuffix(".weight")
            let isBias = tensor.name.hasSuffix(".bias")
            let spread = isScale || isBias ? 0.1 : 1 / Float(max(count / tensor.shape[0], 1)).squareRoot()
            let values = (0..<count).map { _ in
                Float16((isScale ? 1 : 0) + spread * (Float(random.next() % 2001) / 1000 - 1)).bitPattern.littleEndian
            }
            try handle.write(contentsOf: values.withUnsafeBytes { Data($0) })
        }
    }
}

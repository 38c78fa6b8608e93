import Foundation
import LoomModelFiles

/// A committed `*-parts.safetensors` fixture holds only the tensors a model does not share with another committed
/// file; its `copied_from` metadata (JSON, name → name in the source) lists the rest. Putting both together gives
/// the file a user has without committing the shared bytes twice.
public enum SafetensorsParts {
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes the whole file to `path`: the tensors of `parts` and, under their own names, the tensors of `source`
    /// the `copied_from` metadata names; names `dropping` accepts are left out. Bytes are copied as stored.
    public static func assemble(_ parts: String, source: String, to path: String,
                                dropping: (String) -> Bool = { _ in false }) throws {
        let partsFile = try ModelFile.open(path: parts)
        let sourceFile = try ModelFile.open(path: source)
        guard let metadata = partsFile.metadata["copied_from"]?.stringValue,
              let copies = try JSONSerialization.jsonObject(with: Data(metadata.utf8)) as? [String: String]
        else { throw Missing(description: "\(parts) has no copied_from metadata") }
        var tensors = partsFile.tensors.map { ($0.name, $0) }
        for (name, from) in copies {
            guard let tensor = sourceFile[from] else { throw Missing(description: "\(source) has no \(from)") }
            tensors.append((name, tensor))
        }
        tensors = tensors.filter { !dropping($0.0) }.sorted { $0.0 < $1.0 }
        var entries: [String] = []
        var data = Data()
        for (name, tensor) in tensors {
            entries.append(#""\#(name)":{"dtype":"\#(tensor.dataType.rawValue)","shape":\#(tensor.shape),"data_offsets":[\#(data.count),\#(data.count + tensor.byteCount)]}"#)
            tensor.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        let header = Data("{\(entries.joined(separator: ","))}".utf8)
        var file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Data($0) }
        file.append(header)
        file.append(data)
        try file.write(to: URL(fileURLWithPath: path))
    }
}

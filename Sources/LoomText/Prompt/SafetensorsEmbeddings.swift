import Foundation

/// Resolves `embedding:name` to textual-inversion files in the caller's embeddings folders and
/// counts their vectors from the safetensors header, choosing the tensor as ComfyUI's
/// `load_embed` does: the encoder's key (`clip_l`, `clip_g`, `t5xxl`) if present, else the
/// `bundle_emb.….string_to_param.*` tensors of a LoRA bundle, else its `bundle_emb.….<key>`
/// tensors, else the first tensor.
/// Pickled `.pt`/`.bin` embeddings are found but reported as unreadable here.
public struct SafetensorsEmbeddings: EmbeddingResolver {
    public var finder: EmbeddingFileFinder
    /// The tensor name for this text encoder, such as `clip_l`.
    public var key: String

    public init(directories: [URL], key: String) {
        self.finder = EmbeddingFileFinder(directories: directories)
        self.key = key
    }

    public var searchedDirectories: [URL] { finder.directories }

    public func vectorCount(ofEmbeddingNamed name: String) throws(PromptTokenizerError) -> Int? {
        guard let url = finder.file(named: name) else { return nil }
        guard url.pathExtension.lowercased() == "safetensors" else {
            throw .unreadableEmbedding(name: name, reason: "\(url.path) is a pickled embedding; only .safetensors embeddings can be read")
        }
        let shapes = try Self.tensorShapes(in: url, name: name)
        func vectors(_ shape: [Int]) -> Int { shape.count == 1 ? 1 : shape.first ?? 0 }
        if let shape = shapes[key] { return vectors(shape) }
        for suffix in [".string_to_param.*", ".\(key)"] {
            let bundled = shapes.filter { $0.key.hasPrefix("bundle_emb.") && $0.key.hasSuffix(suffix) }.map(\.value)
            guard !bundled.isEmpty else { continue }
            // ComfyUI concatenates them along the first axis: vectors add up, 1-D ones stay one vector.
            return bundled.allSatisfy { $0.count == 1 } ? 1 : bundled.reduce(0) { $0 + ($1.first ?? 0) }
        }
        // safetensors lists keys in sorted order, so ComfyUI's "first value" is the smallest key.
        guard let first = shapes.keys.min() else {
            throw .unreadableEmbedding(name: name, reason: "\(url.path) holds no tensors")
        }
        return vectors(shapes[first]!)
    }

    /// Tensor shapes from the JSON header: u64 little-endian length, then the header itself.
    static func tensorShapes(in url: URL, name: String) throws(PromptTokenizerError) -> [String: [Int]] {
        func failure(_ reason: String) -> PromptTokenizerError { .unreadableEmbedding(name: name, reason: "\(url.path): \(reason)") }
        let header: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            let lengthBytes = try handle.read(upToCount: 8) ?? Data()
            guard lengthBytes.count == 8 else { throw failure("too short for a safetensors header") }
            let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard length <= 100_000_000 else { throw failure("safetensors header of \(length) bytes is implausibly large") }
            header = try handle.read(upToCount: Int(length)) ?? Data()
            guard header.count == Int(length) else { throw failure("safetensors header is truncated") }
        } catch let error as PromptTokenizerError {
            throw error
        } catch {
            throw failure(error.localizedDescription)
        }
        guard let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw failure("safetensors header is not a JSON object")
        }
        var shapes: [String: [Int]] = [:]
        for (tensor, info) in object where tensor != "__metadata__" {
            guard let shape = (info as? [String: Any])?["shape"] as? [Int] else { throw failure("tensor \(tensor) has no shape") }
            shapes[tensor] = shape
        }
        return shapes
    }
}

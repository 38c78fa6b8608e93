/// Reads `torch.save` zip checkpoints (`.pth`, `.pt`, `.ckpt`): `<archive>/data.pkl` describes the
/// state dict and `<archive>/data/<key>` holds each storage's raw little-endian bytes.
enum PyTorchCheckpointReader {
    static func read(_ file: MappedFile) throws(ModelFileError) -> ModelFile {
        let path = file.path
        let archive = try ZipArchive(file)
        // torch.save puts everything in one top-level folder named after the file.
        guard let pickleEntry = archive.entries.first(where: { $0.name.hasSuffix("data.pkl") && $0.name.split(separator: "/").count == 2 }) else {
            throw ModelFileError(.corrupt, path: path, "zip archive has no <archive>/data.pkl; not a PyTorch checkpoint")
        }
        let prefix = String(pickleEntry.name.dropLast("data.pkl".count))
        var entriesByName: [String: ZipArchive.Entry] = [:]
        for entry in archive.entries { entriesByName[entry.name] = entry }
        if let byteOrder = entriesByName[prefix + "byteorder"] {
            let text = String(decoding: file.bytes(in: byteOrder.dataRange), as: UTF8.self)
            guard text == "little" else {
                throw ModelFileError(.unsupported, path: path, "checkpoint was saved with \(text)-endian storages")
            }
        }

        var unpickler = RestrictedUnpickler(file.bytes(in: pickleEntry.dataRange), path: path, entryName: pickleEntry.name)
        let root = try unpickler.load()
        var references: [(name: String, tensor: TensorReference)] = []
        try collectTensors(in: stateDict(in: root), prefix: "", into: &references, path: path, depth: 0)

        var tensors: [StoredTensor] = []
        for (name, reference) in references {
            let storage = reference.storage
            guard let entry = entriesByName[prefix + "data/" + storage.key] else {
                throw ModelFileError(.corrupt, path: path, "tensor \"\(name)\" refers to storage \(storage.key), which the archive lacks")
            }
            let elementSize = storage.dataType.blockByteCount
            let (storageBytes, overflow) = storage.elementCount.multipliedReportingOverflow(by: elementSize)
            guard !overflow, storageBytes == entry.dataRange.count else {
                throw ModelFileError(.corrupt, path: path, "storage \(storage.key) holds \(entry.dataRange.count) bytes, not \(storage.elementCount) × \(elementSize)")
            }
            let begin = entry.dataRange.lowerBound + reference.elementOffset * elementSize
            let count = reference.shape.reduce(1, *)
            tensors.append(StoredTensor(
                name: name, dataType: storage.dataType, shape: reference.shape,
                byteRange: begin..<(begin + count * elementSize), file: file))
        }
        return try ModelFile(path: path, format: .pytorch, tensors: tensors, metadata: [:], fileSize: file.size)
    }

    /// Lightning checkpoints wrap the weights in `{"state_dict": ...}` next to training state.
    private static func stateDict(in root: PickleValue) -> PickleValue {
        if case .dict(let dict) = root {
            for (key, value) in dict.entries {
                if case .string("state_dict") = key, case .dict = value { return value }
            }
        }
        return root
    }

    /// Tensors in nested dicts get dotted names, as `nn.Module.state_dict` would give them.
    private static func collectTensors(
        in value: PickleValue, prefix: String, into references: inout [(name: String, tensor: TensorReference)], path: String, depth: Int
    ) throws(ModelFileError) {
        guard case .dict(let dict) = value else {
            if prefix.isEmpty {
                throw ModelFileError(.unsupported, path: path, "checkpoint holds a \(value.typeName), not a state dict")
            }
            return
        }
        guard depth < 16 else { return }
        for (key, item) in dict.entries {
            guard case .string(let name) = key else { continue }
            switch item {
            case .tensor(let tensor): references.append((prefix + name, tensor))
            case .dict: try collectTensors(in: item, prefix: prefix + name + ".", into: &references, path: path, depth: depth + 1)
            default: continue
            }
        }
    }
}

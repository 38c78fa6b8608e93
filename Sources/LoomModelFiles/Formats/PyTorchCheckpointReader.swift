/// Reads PyTorch checkpoints (`.pth`, `.pt`, `.ckpt`) holding state dicts, in both of torch.save's formats:
/// - zip (PyTorch ≥ 1.6): `<archive>/data.pkl` describes the state dict and `<archive>/data/<key>`
///   holds each storage's raw little-endian bytes;
/// - legacy (before 1.6): consecutive pickles (magic number, protocol 1001, system info, the state
///   dict, the storage keys), then each storage as an element count and its raw bytes.
/// Many annotator weights, OpenPose's among them, predate 1.6.
enum PyTorchCheckpointReader {
    /// The legacy format's magic number 0x1950a86a20f9469cfc6c, as a pickled integer's little-endian bytes.
    private static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    static func readZip(_ file: MappedFile, archive: ZipArchive) throws(ModelFileError) -> ModelFile {
        let layout = try ArchiveLayout(archive, file: file)
        var unpickler = RestrictedUnpickler(file.bytes(in: try layout.pickle.dataRange(path: file.path)), path: file.path,
                                            context: "pickle \(layout.pickle.name)")
        let root = try unpickler.load()
        return try modelFile(file, root: root, storages: unpickler.storages, storageRanges: layout.storageRanges(for: unpickler.storages, path: file.path))
    }

    /// What the zip formats of torch.save and torch.jit.save share: one top-level folder holding `data.pkl`,
    /// `byteorder` (absent in old files, which are little-endian) and the storages as `data/<key>`.
    struct ArchiveLayout {
        let prefix: String
        let pickle: ZipArchive.Entry
        let entriesByName: [String: ZipArchive.Entry]

        init(_ archive: ZipArchive, file: MappedFile) throws(ModelFileError) {
            let path = file.path
            guard let pickle = archive.entries.first(where: { $0.name.hasSuffix("/data.pkl") && $0.name.split(separator: "/", omittingEmptySubsequences: false).count == 2 }) else {
                throw ModelFileError(.corrupt, path: path, "zip archive has no <archive>/data.pkl; not a PyTorch checkpoint")
            }
            self.pickle = pickle
            prefix = String(pickle.name.dropLast("data.pkl".count))
            var entriesByName: [String: ZipArchive.Entry] = [:]
            for entry in archive.entries { entriesByName[entry.name] = entry }
            self.entriesByName = entriesByName
            if let byteOrder = entriesByName[prefix + "byteorder"] {
                let text = String(decoding: file.bytes(in: try byteOrder.dataRange(path: path)), as: UTF8.self)
                guard text == "little" else {
                    throw ModelFileError(.unsupported, path: path, "checkpoint was saved with \(text)-endian storages")
                }
            }
        }

        /// The byte ranges of the storages the pickle named that the archive holds.
        func storageRanges(for storages: [String: StorageReference], path: String) throws(ModelFileError) -> [String: Range<Int>] {
            var ranges: [String: Range<Int>] = [:]
            for key in storages.keys {
                if let entry = entriesByName[prefix + "data/" + key] { ranges[key] = try entry.dataRange(path: path) }
            }
            return ranges
        }
    }

    static func readLegacy(_ file: MappedFile) throws(ModelFileError) -> ModelFile {
        let path = file.path
        let bytes = file.bytes
        var header = RestrictedUnpickler(bytes, path: path, context: "legacy checkpoint magic number")
        guard case .bigInteger(legacyMagic) = try header.load() else {
            throw ModelFileError(.corrupt, path: path, "starts with a pickle but not with PyTorch's magic number")
        }
        var version = RestrictedUnpickler(bytes, path: path, context: "legacy checkpoint version", offset: header.offset)
        guard case .int(1001) = try version.load() else {
            throw ModelFileError(.unsupported, path: path, "unknown legacy PyTorch serialization version")
        }
        var systemInfo = RestrictedUnpickler(bytes, path: path, context: "legacy checkpoint system info", offset: version.offset)
        if case .dict(let info) = try systemInfo.load() {
            for (key, value) in info.entries {
                if case .string("little_endian") = key, case .bool(false) = value {
                    throw ModelFileError(.unsupported, path: path, "checkpoint was saved with big-endian storages")
                }
            }
        }
        var state = RestrictedUnpickler(bytes, path: path, context: "legacy checkpoint state dict", offset: systemInfo.offset)
        let root = try state.load()
        var keyList = RestrictedUnpickler(bytes, path: path, context: "legacy checkpoint storage keys", offset: state.offset)
        guard case .list(let keys) = try keyList.load() else {
            throw ModelFileError(.corrupt, path: path, "legacy checkpoint's storage key list is missing")
        }

        // Storages follow in key-list order, each as an int64 element count and the elements.
        var cursor = ByteCursor(bytes, path: path, context: "legacy checkpoint storages", offset: keyList.offset)
        var storageRanges: [String: Range<Int>] = [:]
        for item in keys.items {
            guard case .string(let key) = item, let storage = state.storages[key] else {
                throw cursor.corrupt("storage key list names a storage the state dict does not use")
            }
            let count = try cursor.read(Int64.self, "the size of storage \(key)")
            guard count == Int64(storage.elementCount) else {
                throw cursor.corrupt("storage \(key) holds \(count) elements, but the state dict says \(storage.elementCount)")
            }
            guard storage.byteCount <= cursor.remaining else { throw cursor.truncated("storage \(key)") }
            storageRanges[key] = cursor.offset..<(cursor.offset + storage.byteCount)
            _ = try cursor.readBytes(storage.byteCount, "storage \(key)")
        }
        return try modelFile(file, root: root, storages: state.storages, storageRanges: storageRanges)
    }

    /// The state dict's tensors as byte ranges of their storages.
    private static func modelFile(
        _ file: MappedFile, root: PickleValue, storages: [String: StorageReference], storageRanges: [String: Range<Int>]
    ) throws(ModelFileError) -> ModelFile {
        var references: [(name: String, tensor: TensorReference)] = []
        var budget = maximumStateDictEntries
        try collectTensors(in: stateDict(in: root), prefix: "", into: &references, path: file.path, depth: 0, budget: &budget)
        return try ModelFile(path: file.path, format: .pytorch, tensors: storedTensors(references, storageRanges: storageRanges, file: file),
                             metadata: [:], fileSize: file.size)
    }

    /// Named tensor references as views of the mapped storages.
    static func storedTensors(
        _ references: [(name: String, tensor: TensorReference)], storageRanges: [String: Range<Int>], file: MappedFile
    ) throws(ModelFileError) -> [StoredTensor] {
        let path = file.path
        var tensors: [StoredTensor] = []
        for (name, reference) in references {
            let storage = reference.storage
            guard let range = storageRanges[storage.key] else {
                throw ModelFileError(.corrupt, path: path, "tensor \"\(name)\" refers to storage \(storage.key), which the file lacks")
            }
            guard storage.byteCount == range.count else {
                throw ModelFileError(.corrupt, path: path, "storage \(storage.key) holds \(range.count) bytes, not \(storage.elementCount) of \(storage.dataType.name)")
            }
            let elementSize = reference.dataType.blockByteCount
            let begin = range.lowerBound + reference.elementOffset * elementSize
            let count = reference.shape.reduce(1, *)
            tensors.append(StoredTensor(
                name: name, dataType: reference.dataType, shape: reference.shape,
                byteRange: begin..<(begin + count * elementSize), file: file))
        }
        return tensors
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

    /// Dict entries the walk over a state dict may visit. A dict shared by several keys is walked once per key,
    /// so a few hundred shared dicts nested sixteen deep would name 10¹⁵ tensors; real state dicts hold thousands.
    static let maximumStateDictEntries = 1 << 20

    /// Tensors in nested dicts get dotted names, as `nn.Module.state_dict` would give them.
    private static func collectTensors(
        in value: PickleValue, prefix: String, into references: inout [(name: String, tensor: TensorReference)], path: String, depth: Int,
        budget: inout Int
    ) throws(ModelFileError) {
        guard case .dict(let dict) = value else {
            if prefix.isEmpty {
                throw ModelFileError(.unsupported, path: path, "checkpoint holds a \(value.typeName), not a state dict")
            }
            return
        }
        guard depth < 16 else { return }
        budget -= dict.entries.count
        guard budget >= 0 else {
            throw ModelFileError(.unsupported, path: path, "the state dict names more than \(maximumStateDictEntries) entries (dicts shared between keys repeat their contents)")
        }
        for (key, item) in dict.entries {
            guard case .string(let name) = key else { continue }
            switch item {
            case .tensor(let tensor): references.append((prefix + name, tensor))
            case .dict:
                try collectTensors(in: item, prefix: prefix + name + ".", into: &references, path: path, depth: depth + 1, budget: &budget)
            default: continue
            }
        }
    }
}

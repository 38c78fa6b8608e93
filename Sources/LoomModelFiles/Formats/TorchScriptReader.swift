/// Reads the weights of TorchScript archives (`torch.jit.save`, `.torchscript.pt`): the zip layout of torch.save
/// (`<archive>/data.pkl`, `<archive>/data/<key>`) plus `constants.pkl` and the module's Python source in `code/`.
/// `data.pkl` pickles the module tree: each module an instance of a `__torch__.…` class whose state is the dict of
/// its attributes (parameters, buffers, submodules, flags). The restricted unpickler keeps those instances as inert
/// records; the tree is flattened into the dotted names `nn.Module.state_dict` would give (`backbone.stem.0.conv.weight`).
/// Nothing in `code/` is read, let alone run, and constants (tensors the tracer baked into the code) are not weights.
enum TorchScriptReader {
    /// torch.jit.save writes `constants.pkl` beside `data.pkl`; torch.save never does.
    static func recognises(_ archive: ZipArchive) -> Bool {
        archive.entries.contains { entry in
            let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "constants.pkl"
        }
    }

    /// Nesting deeper than this (objects and their states, dicts, lists) is refused; real modules nest about twenty.
    static let maximumDepth = 128

    static func read(_ file: MappedFile, archive: ZipArchive) throws(ModelFileError) -> ModelFile {
        let path = file.path
        let layout = try PyTorchCheckpointReader.ArchiveLayout(archive, file: file)
        guard layout.entriesByName[layout.prefix + "constants.pkl"] != nil else {
            throw ModelFileError(.corrupt, path: path, "TorchScript archive has constants.pkl outside data.pkl's folder \(layout.prefix)")
        }
        var unpickler = RestrictedUnpickler(file.bytes(in: try layout.pickle.dataRange(path: path)), path: path,
                                            context: "TorchScript pickle \(layout.pickle.name)", acceptsScriptObjects: true)
        let root = try unpickler.load()
        guard case .object = root else {
            throw ModelFileError(.unsupported, path: path, "TorchScript archive holds a \(root.typeName), not a module")
        }
        var references: [(name: String, tensor: TensorReference)] = []
        var budget = PyTorchCheckpointReader.maximumStateDictEntries
        try collectTensors(in: root, name: [], into: &references, path: path, budget: &budget)
        let tensors = try PyTorchCheckpointReader.storedTensors(
            references, storageRanges: layout.storageRanges(for: unpickler.storages, path: path), file: file)
        return try ModelFile(path: path, format: .torchScript, tensors: tensors, metadata: [:], fileSize: file.size)
    }

    /// Tensors anywhere under `value`, named by the attribute (or list position) path leading to them. An object
    /// contributes its state under its own name; values that are neither tensors nor containers are skipped.
    private static func collectTensors(
        in value: PickleValue, name: [String], into references: inout [(name: String, tensor: TensorReference)], path: String,
        depth: Int = 0, budget: inout Int
    ) throws(ModelFileError) {
        guard depth <= maximumDepth else {
            throw ModelFileError(.unsupported, path: path, "the TorchScript module nests deeper than \(maximumDepth) levels")
        }
        var children: [(String, PickleValue)] = []
        switch value {
        case .tensor(let tensor):
            if !name.isEmpty { references.append((name.joined(separator: "."), tensor)) }
            return
        case .object(let object):
            try collectTensors(in: object.state, name: name, into: &references, path: path, depth: depth + 1, budget: &budget)
            return
        case .dict(let dict):
            for (key, item) in dict.entries {
                if case .string(let key) = key { children.append((key, item)) }
            }
        case .list(let list): children = list.items.enumerated().map { (String($0.offset), $0.element) }
        case .tuple(let tuple): children = tuple.items.enumerated().map { (String($0.offset), $0.element) }
        default: return
        }
        // Objects shared between attributes are walked once per attribute; the budget bounds the total.
        budget -= children.count
        guard budget >= 0 else {
            throw ModelFileError(.unsupported, path: path, "the TorchScript module names more than \(PyTorchCheckpointReader.maximumStateDictEntries) attributes (shared submodules repeat their contents)")
        }
        for (key, item) in children {
            try collectTensors(in: item, name: name + [key], into: &references, path: path, depth: depth + 1, budget: &budget)
        }
    }
}

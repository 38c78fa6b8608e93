/// An opened model file: its tensors (in file order), metadata and format. Opening reads only the
/// header; tensor data stays in the memory map until someone asks for it.
public struct ModelFile: Sendable {
    public enum Format: String, Sendable {
        case safetensors, gguf, pytorch, onnx
        case torchScript = "torchscript"
    }

    public let path: String
    public let format: Format
    public let tensors: [StoredTensor]
    public let metadata: [String: MetadataValue]
    public let fileSize: Int
    private let indexByName: [String: Int]

    init(path: String, format: Format, tensors: [StoredTensor], metadata: [String: MetadataValue], fileSize: Int) throws(ModelFileError) {
        self.path = path
        self.format = format
        self.tensors = tensors
        self.metadata = metadata
        self.fileSize = fileSize
        var index: [String: Int] = [:]
        for (position, tensor) in tensors.enumerated() {
            guard index.updateValue(position, forKey: tensor.name) == nil else {
                throw ModelFileError(.corrupt, path: path, "tensor \"\(tensor.name)\" appears twice")
            }
        }
        indexByName = index
    }

    /// Opens a model file, recognising the format from its first bytes rather than its extension, with
    /// tensor names normalised to the conventions Loom's networks read (see `OpenCLIPNames`).
    public static func open(path: String) throws(ModelFileError) -> ModelFile {
        let file = try openAsStored(path: path)
        guard let tensors = OpenCLIPNames.normalised(file.tensors) else { return file }
        return try ModelFile(path: file.path, format: file.format, tensors: tensors, metadata: file.metadata, fileSize: file.fileSize)
    }

    /// The file's tensors under the names it stores them by.
    static func openAsStored(path: String) throws(ModelFileError) -> ModelFile {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        if bytes.starts(with: Array("GGUF".utf8)) {
            return try GGUFReader.read(file)
        }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            let archive = try ZipArchive(file)
            if TorchScriptReader.recognises(archive) { return try TorchScriptReader.read(file, archive: archive) }
            return try PyTorchCheckpointReader.readZip(file, archive: archive)
        }
        // PROTO 2, then the 10-byte integer that is the legacy format's magic number. Read as a safetensors
        // header length these bytes exceed the 100 MB limit, so no valid safetensors file starts this way.
        if bytes.starts(with: [0x80, 0x02, 0x8A, 0x0A]) {
            return try PyTorchCheckpointReader.readLegacy(file)
        }
        return try SafetensorsReader.read(file)
    }

    public subscript(name: String) -> StoredTensor? {
        indexByName[name].map { tensors[$0] }
    }

    public var tensorNames: [String] { tensors.map(\.name) }
}

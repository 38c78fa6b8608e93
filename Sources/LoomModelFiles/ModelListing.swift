/// One line of `loom models`: a file found in a model folder and what it holds.
public struct ModelListingRow: Sendable, Hashable {
    public let folder: String
    /// The name loader nodes use: relative to the folder, `/`-separated.
    public let name: String
    public let path: String
    public let format: ModelFile.Format?
    /// The detected models, e.g. "Flux dev (hidden 3072, 24 heads, 19+38 blocks)"; empty when unrecognised.
    public let architectures: [String]
    /// The storage type holding most of the weight bytes, e.g. "BF16", "Q8_0", "F8_E4M3 scaled".
    public let dataType: String
    public let byteCount: Int
    /// Why the file could not be read, when it could not.
    public let problem: String?
}

public enum ModelListing {
    /// Rows for every model file in `folders` (all known folders by default), reading headers only.
    public static func rows(in directories: ModelDirectories, folders: [String]? = nil) -> [ModelListingRow] {
        let names = folders ?? ModelFolder.defaultSubfolders.keys.sorted()
        var rows: [ModelListingRow] = []
        for folder in names {
            for name in directories.files(in: folder) {
                guard let path = try? directories.path(of: name, in: folder) else { continue }
                rows.append(row(folder: folder, name: name, path: path))
            }
        }
        return rows
    }

    public static func row(folder: String, name: String, path: String) -> ModelListingRow {
        do {
            let file = try ModelFile.open(path: path)
            return ModelListingRow(
                folder: folder, name: name, path: path, format: file.format,
                architectures: ArchitectureDetector.detect(file).map { model in
                    model.prefix.isEmpty ? model.architecture.description : "\(model.architecture) at \(model.prefix)"
                },
                dataType: dominantDataType(of: file), byteCount: file.fileSize, problem: nil)
        } catch {
            return ModelListingRow(folder: folder, name: name, path: path, format: nil, architectures: [], dataType: "", byteCount: 0, problem: error.message)
        }
    }

    /// The type of the largest share of weight bytes, ignoring scale tensors. Quantised GGUFs keep
    /// small and 1-D tensors in F16/F32, so a block type, when present, is the file's type.
    static func dominantDataType(of file: ModelFile) -> String {
        var bytes: [TensorDataType: Int] = [:]
        let weights = file.tensors.filter { !ScaledFP8.isScaleTensor($0.name) }
        let quantized = weights.filter(\.dataType.isBlockQuantized)
        for tensor in quantized.isEmpty ? weights : quantized {
            bytes[tensor.dataType, default: 0] += tensor.byteCount
        }
        guard let dominant = bytes.max(by: { ($0.value, $1.key.name) < ($1.value, $0.key.name) })?.key else { return "" }
        return file.isScaledFP8 ? "\(dominant.name) scaled" : dominant.name
    }
}

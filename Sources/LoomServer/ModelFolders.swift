import Loom

/// What `GET /models` and `GET /models/{folder}` list: model folder names and the model files in each.
public protocol ModelFolders: Sendable {
    var folderNames: [String] { get }
    /// Files in `folder`, relative to it; nil when there is no such folder.
    func modelFiles(in folder: String) -> [String]?
}

/// The engine's own model folders — ComfyUI's layout, legacy names and extra_model_paths.yaml included — so the
/// server lists exactly what loader nodes offer.
extension ModelDirectories: ModelFolders {
    public var folderNames: [String] { ModelFolder.defaultSubfolders.keys.sorted() }

    public func modelFiles(in folder: String) -> [String]? {
        let name = ModelFolder.canonicalName(folder)
        guard ModelFolder.defaultSubfolders[name] != nil else { return nil }
        return files(in: folder)
    }
}

import Foundation
import Loom

/// What the model routes list: model folder names, where each is searched, and the model files in each.
public protocol ModelFolders: Sendable {
    var folderNames: [String] { get }
    /// Files in `folder`, relative to it; nil when there is no such folder.
    func modelFiles(in folder: String) -> [String]?
    /// The directories searched for `folder`, in order; empty when there is no such folder.
    func searchedLocations(for folder: String) -> [String]
    /// Files in `folder` with the index of the searched directory each lies in; nil when there is no such folder.
    func modelFilesByLocation(in folder: String) -> [(location: Int, name: String)]?
    /// The file a listed `name` of `folder` is, or nil.
    func modelFile(_ name: String, in folder: String) -> URL?
}

/// The engine's own model folders — ComfyUI's layout, legacy names and extra_model_paths.yaml included — so the
/// server lists exactly what loader nodes offer.
extension ModelDirectories: ModelFolders {
    public var folderNames: [String] { ModelFolder.defaultSubfolders.keys.sorted() }

    public func modelFiles(in folder: String) -> [String]? {
        isKnown(folder) ? files(in: folder) : nil
    }

    public func modelFilesByLocation(in folder: String) -> [(location: Int, name: String)]? {
        isKnown(folder) ? filesByLocation(in: folder) : nil
    }

    public func modelFile(_ name: String, in folder: String) -> URL? {
        guard isKnown(folder), let path = try? path(of: name, in: folder) else { return nil }
        return URL(fileURLWithPath: path)
    }

    private func isKnown(_ folder: String) -> Bool {
        ModelFolder.defaultSubfolders[ModelFolder.canonicalName(folder)] != nil
    }
}

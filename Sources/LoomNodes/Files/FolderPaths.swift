import Foundation
import LoomGraph

/// Where Loom reads and writes files, laid out like ComfyUI's `folder_paths`: a base directory holding
/// `input`, `output`, `temp` and `user`, plus the model folders (`checkpoints`, `vae`, ...), which a
/// separate catalog such as `ModelDirectories` lists.
///
/// Nodes find it with `context.resources.get(FolderPaths.self)`; validation and combo inputs see it as
/// the `FileCatalog`, answering for `input` itself and for every other folder through `models`.
/// `register(in:)` installs it both ways.
public struct FolderPaths: Sendable {
    public var base: String
    public var input: String
    public var output: String
    public var temp: String
    public var user: String
    /// Lists and locates model files by ComfyUI folder name.
    public var models: (any FileCatalog)?

    public init(
        base: String, input: String? = nil, output: String? = nil, temp: String? = nil, user: String? = nil,
        models: (any FileCatalog)? = nil
    ) {
        let base = PathSyntax.absolute(base)
        self.base = base
        self.input = input.map(PathSyntax.absolute) ?? base + "/input"
        self.output = output.map(PathSyntax.absolute) ?? base + "/output"
        self.temp = temp.map(PathSyntax.absolute) ?? base + "/temp"
        self.user = user.map(PathSyntax.absolute) ?? base + "/user"
        self.models = models
    }

    /// Makes these folders available to nodes and, as the `FileCatalog`, to validation and combos.
    public func register(in resources: Resources) {
        resources.set(self)
        resources.set(self as any FileCatalog)
    }

    /// The directory of a storage folder.
    public func directory(_ folder: StorageFolder) -> String {
        switch folder {
        case .input: input
        case .output: output
        case .temp: temp
        }
    }
}

/// The folders files are loaded from and saved to; the `type` of a `/view` request and of UI image entries.
public enum StorageFolder: String, Sendable, CaseIterable {
    case input, output, temp
}

import Foundation
import LoomGraph

/// Where Loom reads and writes files, laid out like ComfyUI's `folder_paths`: a base directory holding
/// `input`, `output`, `temp` and `user`, and model folders (`checkpoints`, `vae`, ...) each searched in
/// one or more directories.
///
/// Nodes find it with `context.resources.get(FolderPaths.self)`; validation and combo inputs see it as
/// the `FileCatalog`. `register(in:)` installs it both ways.
public struct FolderPaths: Sendable, Equatable {
    public var base: String
    public var input: String
    public var output: String
    public var temp: String
    public var user: String
    /// Model folder names and the directories searched for each, in search order.
    public var models: [String: [String]]

    /// ComfyUI's model folders, each defaulting to `base/models/<name>`.
    public static let standardModelFolders = [
        "checkpoints", "configs", "loras", "vae", "text_encoders", "diffusion_models", "clip_vision",
        "style_models", "embeddings", "diffusers", "vae_approx", "controlnet", "gligen", "upscale_models",
        "hypernetworks", "photomaker", "classifiers", "model_patches", "audio_encoders",
    ]

    /// Older names ComfyUI still accepts for renamed folders.
    static let legacyModelFolders = ["unet": "diffusion_models", "clip": "text_encoders"]

    public init(
        base: String, input: String? = nil, output: String? = nil, temp: String? = nil, user: String? = nil,
        models: [String: [String]]? = nil
    ) {
        let base = PathSyntax.absolute(base)
        self.base = base
        self.input = input.map(PathSyntax.absolute) ?? base + "/input"
        self.output = output.map(PathSyntax.absolute) ?? base + "/output"
        self.temp = temp.map(PathSyntax.absolute) ?? base + "/temp"
        self.user = user.map(PathSyntax.absolute) ?? base + "/user"
        self.models =
            models
            ?? Dictionary(uniqueKeysWithValues: Self.standardModelFolders.map { ($0, [base + "/models/" + $0]) })
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

    /// The directories of a model folder, following ComfyUI's legacy names.
    public func modelDirectories(_ folder: String) -> [String] {
        models[folder] ?? Self.legacyModelFolders[folder].flatMap { models[$0] } ?? []
    }
}

/// The folders files are loaded from and saved to; the `type` of a `/view` request and of UI image entries.
public enum StorageFolder: String, Sendable, CaseIterable {
    case input, output, temp
}

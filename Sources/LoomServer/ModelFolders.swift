import Foundation

/// What `GET /models` and `GET /models/{folder}` list: model folder names and the model files in each.
public protocol ModelFolders: Sendable {
    var folderNames: [String] { get }
    /// Files in `folder`, relative to it; nil when there is no such folder.
    func files(in folder: String) -> [String]?
}

/// ComfyUI's model folders under one `models` directory, listing files with model extensions, subfolders included.
public struct ModelDirectory: ModelFolders {
    public static let standardFolderNames = [
        "checkpoints", "configs", "loras", "vae", "text_encoders", "diffusion_models", "clip_vision", "style_models",
        "embeddings", "diffusers", "vae_approx", "controlnet", "gligen", "upscale_models", "latent_upscale_models",
        "hypernetworks", "photomaker", "classifiers", "model_patches", "audio_encoders",
    ]
    static let modelExtensions: Set<String> = ["ckpt", "pt", "pt2", "bin", "pth", "safetensors", "pkl", "sft"]

    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// The standard folders, then any other folder found under the root.
    public var folderNames: [String] {
        let found = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        let extra = found.filter { name in
            var isDirectory: ObjCBool = false
            return !Self.standardFolderNames.contains(name) && !name.hasPrefix(".")
                && FileManager.default.fileExists(
                    atPath: root.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }
        return Self.standardFolderNames + extra.sorted()
    }

    public func files(in folder: String) -> [String]? {
        guard folderNames.contains(folder) else { return nil }
        let directory = root.appendingPathComponent(folder, isDirectory: true)
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        return walker.compactMap { $0 as? String }
            .filter { Self.modelExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
    }
}

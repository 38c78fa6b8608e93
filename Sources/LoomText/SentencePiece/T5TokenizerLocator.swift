import Foundation

/// Finds T5 tokenizer data. Loom does not ship T5's vocabulary; every ComfyUI install and every
/// diffusers Flux model folder has a copy.
public struct T5TokenizerLocator: Sendable {
    /// File names tried in each directory, the Hugging Face format first.
    public static let fileNames = ["tokenizer.json", "spiece.model"]

    public var directories: [URL]

    public init(directories: [URL]) {
        self.directories = directories
    }

    /// The usual places: a ComfyUI install's `comfy/text_encoders/t5_tokenizer/` and a diffusers
    /// model folder's `tokenizer_2/`, then any extra directories.
    public init(comfyUIRoot: URL? = nil, diffusersModel: URL? = nil, extraDirectories: [URL] = []) {
        var directories: [URL] = []
        if let comfyUIRoot { directories.append(comfyUIRoot.appendingPathComponent("comfy/text_encoders/t5_tokenizer")) }
        if let diffusersModel { directories.append(diffusersModel.appendingPathComponent("tokenizer_2")) }
        self.init(directories: directories + extraDirectories)
    }

    /// The first `tokenizer.json` or `spiece.model` in the directories, in order.
    public func locate() throws(T5TokenizerError) -> URL {
        for directory in directories {
            for name in Self.fileNames {
                let url = directory.appendingPathComponent(name)
                if FileManager.default.isReadableFile(atPath: url.path) { return url }
            }
        }
        throw .notFound(searched: directories.map(\.path))
    }

    public func load() throws(T5TokenizerError) -> T5Tokenizer {
        try T5Tokenizer(contentsOf: locate())
    }
}

import Foundation

/// Finds T5 tokenizer data: a user's own file first (a ComfyUI install's, a diffusers model
/// folder's), else the T5 v1.1 vocabulary Loom ships.
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

    /// The tokenizer of the first file found, else `T5Tokenizer.bundled()`. `modelVocabulary`, the
    /// rows of the T5 model's embedding where known, guards the fallback: a model with fewer rows
    /// than T5 v1.1's tokens was trained with another vocabulary.
    public func loadOrBundled(modelVocabulary: Int? = nil) throws(T5TokenizerError) -> T5Tokenizer {
        do throws(T5TokenizerError) {
            return try load()
        } catch .notFound(let searched) {
            let bundled = try T5Tokenizer.bundled()
            if let modelVocabulary, modelVocabulary < bundled.vocabularySize {
                throw .bundledVocabularyTooLarge(
                    modelVocabulary: modelVocabulary, bundledVocabulary: bundled.vocabularySize, searched: searched)
            }
            return bundled
        }
    }
}

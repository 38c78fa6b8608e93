import Foundation
import LoomGraph
import LoomModelFiles
import LoomModels
import LoomText

/// How the CLIP loaders find, open and recognise text-encoder files.
enum TextEncoderFiles {
    static let folder = "text_encoders"

    /// A listed file of the text_encoders folder (legacy `clip` included), opened and recognised.
    static func open(_ name: String, input: String, node: String, resources: Resources) throws -> (ModelFile, ModelArchitecture) {
        let directories = try ModelFileLookup.directories(resources, for: name, input: input, node: node)
        let file = try ModelFile.open(path: directories.path(of: name, in: folder))
        let architectures = ArchitectureDetector.detect(file).filter { $0.prefix.isEmpty }.map(\.architecture)
        guard let architecture = architectures.first(where: { $0.isTextEncoder }) else {
            let found = architectures.map(\.description).joined(separator: ", ")
            throw NodeError(node, "\(input): \(name) is not a CLIP or T5 text encoder\(found.isEmpty ? "" : " (found \(found))")")
        }
        return (file, architecture)
    }

    /// Which opened file is which of `kinds`: T5 by its layout; of two CLIP text models the larger (wider,
    /// then deeper: 1280 × 32 against 768 × 12) is CLIP-G.
    static func classify(_ files: [(ModelFile, ModelArchitecture)], wanting kinds: [TextEncoderKind]) -> [TextEncoderKind: ModelFile] {
        var found: [TextEncoderKind: ModelFile] = [:]
        let clips = files.compactMap { file, architecture -> (ModelFile, [Int])? in
            if case .clipText(let parameters) = architecture { (file, [parameters.width, parameters.layerCount]) } else { nil }
        }.sorted { $0.1.lexicographicallyPrecedes($1.1) }
        if kinds.contains(.clipG), let widest = clips.last {
            found[.clipG] = widest.0
            if clips.count > 1 { found[.clipL] = clips[0].0 }
        } else if let first = clips.first {
            found[.clipL] = first.0
        }
        for (file, architecture) in files {
            if case .t5Encoder = architecture, found[.t5xxl] == nil { found[.t5xxl] = file }
        }
        return found.filter { kinds.contains($0.key) }
    }

    /// `embedding:name` words resolve in the `embeddings` model folders, as in ComfyUI; a name that is
    /// not there is an error naming the folders searched.
    static func embeddings(resources: Resources, key: String) -> SafetensorsEmbeddings {
        let directories = resources.get(FolderPaths.self)?.searchedLocations(for: "embeddings") ?? []
        return SafetensorsEmbeddings(directories: directories.map { URL(fileURLWithPath: $0) }, key: key)
    }

    /// The T5 tokenizer for a T5 file: `tokenizer.json` or `spiece.model` next to the file, in a diffusers
    /// model's `tokenizer_2/` beside its `text_encoder_2/`, or in a ComfyUI install (the base folder, or
    /// the parent of a `models` folder) under `comfy/text_encoders/t5_tokenizer/`; else the T5 v1.1
    /// tokenizer Loom ships, unless the model embeds fewer than its tokens (`modelVocabulary` rows; then the
    /// error names the file's folder as the place to put its tokenizer).
    static func t5Tokenizer(for file: ModelFile, modelVocabulary: Int?, resources: Resources) throws(T5TokenizerError) -> T5Tokenizer {
        let modelDirectory = URL(fileURLWithPath: file.path).deletingLastPathComponent()
        var directories = [modelDirectory, modelDirectory.deletingLastPathComponent().appendingPathComponent("tokenizer_2")]
        var installs: [URL] = []
        if let folders = resources.get(FolderPaths.self) {
            installs.append(URL(fileURLWithPath: folders.base))
            for location in folders.searchedLocations(for: folder) {
                // models/text_encoders → the install holding `models`.
                installs.append(URL(fileURLWithPath: location).deletingLastPathComponent().deletingLastPathComponent())
            }
        }
        for install in installs {
            let directory = install.appendingPathComponent("comfy/text_encoders/t5_tokenizer")
            if !directories.contains(directory) { directories.append(directory) }
        }
        return try T5TokenizerLocator(directories: directories).loadOrBundled(modelVocabulary: modelVocabulary)
    }
}

extension ModelArchitecture {
    var isTextEncoder: Bool {
        switch self {
        case .clipText, .t5Encoder: true
        default: false
        }
    }
}

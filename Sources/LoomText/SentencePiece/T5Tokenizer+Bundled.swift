import Foundation

extension T5Tokenizer {
    /// T5 v1.1's SentencePiece vocabulary shipped in this package (Google's, Apache-2.0; see
    /// Resources/NOTICE.md), with the text pipeline of the tokenizer.json ComfyUI ships. ComfyUI
    /// users' model folders hold T5 weights without a tokenizer: ComfyUI brings its own.
    public static func bundled() throws(T5TokenizerError) -> T5Tokenizer {
        try bundledResult.get()
    }

    static var bundledVocabularyURL: URL? {
        Bundle.module.url(forResource: "t5-v1_1-spiece.model", withExtension: "gz")
    }

    private static let bundledResult: Result<T5Tokenizer, T5TokenizerError> = Result { () throws(T5TokenizerError) in
        guard let url = bundledVocabularyURL else { throw .missingBundledVocabulary }
        let compressed: Data
        do { compressed = try Data(contentsOf: url) } catch { throw .unreadable(url.path, "\(error)") }
        let model: [UInt8]
        do { model = try Gzip.decompress(Array(compressed)) } catch { throw .unreadable(url.path, "\(error)") }
        return try T5Tokenizer(sentencePieceModel: Data(model))
    }
}

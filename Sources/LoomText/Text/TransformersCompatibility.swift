/// Which major version of Hugging Face transformers to reproduce. ComfyUI calls
/// `transformers.CLIPTokenizer` and `T5TokenizerFast`, whose behaviour changed in transformers 5;
/// the two differ only on unusual text (CJK ideographs, control characters, final sigma, text right
/// after a special token, spelled-out special tokens).
public enum TransformersCompatibility: Sendable, Equatable {
    /// transformers 4, ComfyUI's usual environment: CLIP's Python tokenizer without ftfy, and T5's
    /// `tokenizer.json` pipeline as written.
    case transformers4
    /// transformers 5: CLIP through the Rust tokenizers library, and T5's pipeline rebuilt as the
    /// precompiled normaliser, whitespace split and `▁` before every word, whatever the file says.
    case transformers5
}

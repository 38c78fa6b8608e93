/// How sampling nodes picture their work in progress: ComfyUI's `--preview-method`, which a prompt may
/// override with `extra_data.preview_method`.
public enum PreviewMethod: String, Sendable, CaseIterable {
    /// No previews are computed.
    case none
    /// The best method available: TAESD in ComfyUI when its decoder is installed, else latent2rgb.
    case auto
    /// A linear map from latent channels to RGB.
    case latent2rgb
    /// The tiny autoencoder's decode.
    case taesd

    /// The method for one prompt, as ComfyUI's `set_preview_method(extra_data.get("preview_method"))`
    /// chooses it: a method name overrides `serverDefault`; absent, `"default"` or anything else keeps it.
    public static func forPrompt(_ extraData: JSONObject, serverDefault: PreviewMethod) -> PreviewMethod {
        extraData["preview_method"]?.stringValue.flatMap(PreviewMethod.init(rawValue:)) ?? serverDefault
    }

    /// Whether nodes compute previews at all.
    public var showsPreviews: Bool { self != .none }
}

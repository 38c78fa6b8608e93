/// ComfyUI's model folder names: the canonical ones, the legacy aliases that map to them, and the
/// file extensions a listing offers.
public enum ModelFolder {
    /// Canonical folder name → the subfolders of the models root searched for it, in order.
    /// Mirrors ComfyUI's folder_paths defaults, so an existing `models/` works unchanged.
    public static let defaultSubfolders: [String: [String]] = [
        "checkpoints": ["checkpoints"],
        "diffusion_models": ["unet", "diffusion_models"],
        "text_encoders": ["text_encoders", "clip"],
        "vae": ["vae"],
        "clip_vision": ["clip_vision"],
        "style_models": ["style_models"],
        "controlnet": ["controlnet", "t2i_adapter"],
        "loras": ["loras"],
        "upscale_models": ["upscale_models"],
        "embeddings": ["embeddings"],
        // Loom's own folder for ControlNet preprocessor checkpoints (comfyui_controlnet_aux keeps them under
        // custom_nodes/comfyui_controlnet_aux/ckpts/, which Loom also searches).
        "annotators": ["annotators"],
    ]

    /// Old names ComfyUI still accepts in nodes and in extra_model_paths.yaml.
    public static let legacyAliases: [String: String] = [
        "unet": "diffusion_models",
        "clip": "text_encoders",
    ]

    /// Folders that custom nodes define as a view of another folder's files with some extensions:
    /// ComfyUI-GGUF's `unet_gguf` lists the `.gguf` files of `diffusion_models`.
    public static let extensionViews: [String: (folder: String, extensions: Set<String>)] = [
        "unet_gguf": ("diffusion_models", ["gguf"]),
    ]

    /// ComfyUI's supported_pt_extensions plus `.gguf`, which Loom reads natively (ComfyUI needs a custom node).
    public static let fileExtensions: Set<String> = [
        "ckpt", "pt", "pt2", "bin", "pth", "safetensors", "pkl", "sft", "gguf",
    ]

    /// The canonical name for `folder`, mapping legacy aliases.
    public static func canonicalName(_ folder: String) -> String {
        legacyAliases[folder] ?? extensionViews[folder]?.folder ?? folder
    }
}

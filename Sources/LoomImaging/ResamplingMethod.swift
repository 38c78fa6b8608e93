/// The resampling filters ComfyUI offers as `upscale_method`, with its spellings.
public enum ResamplingMethod: String, Sendable, CaseIterable {
    /// PyTorch `interpolate(mode="nearest-exact")`.
    case nearestExact = "nearest-exact"
    /// PyTorch `interpolate(mode="bilinear", align_corners=False)`.
    case bilinear
    /// PyTorch `interpolate(mode="area")`: adaptive average pooling.
    case area
    /// PyTorch `interpolate(mode="bicubic", align_corners=False)`, a = -0.75, unclamped.
    case bicubic
    /// PIL's LANCZOS on 8-bit pixels, as ComfyUI applies it.
    case lanczos
}

/// The resampling filters ComfyUI and popular custom nodes offer, with PyTorch's spellings.
public enum ResamplingMethod: String, Sendable, CaseIterable {
    /// PyTorch `interpolate(mode="nearest")`: the legacy rule, offered by custom nodes such as ImageResize+.
    case nearest
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
    /// PyTorch `interpolate(mode="bicubic", antialias=True)`: Keys' cubic (a = -0.5) widened by the
    /// shrink factor when shrinking, as KJNodes' ImageConcanate uses it. Not a ComfyUI spelling.
    case bicubicAntialiased = "bicubic-antialiased"
}

import LoomImaging
import LoomModels

/// Style-model tokens read as a square grid, as kaibioinfo's ComfyUI_AdvancedRefluxControl nodes read them: the
/// sequence [1, t, width] viewed as an m × m image with `width` channels, m = ⌊√t⌋ (one image's 27 × 27 SigLIP
/// patches; the pack views any token count so, and fails unless it is a square).
struct StyleTokenGrid {
    var tokens: HostTensor

    /// The grid's side; nil when the token count is not a square.
    var side: Int? {
        let count = tokens.shape[1]
        let side = Int(Double(count).squareRoot())
        return side * side == count ? side : nil
    }

    /// The grid resized to `newSide` × `newSide` by PyTorch's `interpolate` with `method` (no antialiasing).
    func resampled(from side: Int, to newSide: Int, method: ResamplingMethod) -> StyleTokenGrid {
        let width = tokens.shape[2]
        let image = Image(batchCount: 1, height: side, width: side, channels: width, pixels: tokens.values)
            .resized(width: newSide, height: newSide, method: method)
        return StyleTokenGrid(tokens: HostTensor(shape: [1, newSide * newSide, width], values: image.pixels))
    }

    /// Each token scaled by its weight in `weights` (one per token).
    func weighted(by weights: [Float]) -> StyleTokenGrid {
        let width = tokens.shape[2]
        var values = tokens.values
        for (token, weight) in weights.enumerated() {
            for channel in 0..<width { values[token * width + channel] *= weight }
        }
        return StyleTokenGrid(tokens: HostTensor(shape: tokens.shape, values: values))
    }

    /// Only the tokens whose flag is true, in order.
    func kept(where flags: [Bool]) -> StyleTokenGrid {
        let width = tokens.shape[2]
        let rows = flags.indices.filter { flags[$0] }
        return StyleTokenGrid(tokens: HostTensor(shape: [1, rows.count, width],
                                                 values: rows.flatMap { tokens.values[($0 * width)..<(($0 + 1) * width)] }))
    }
}

/// RescaleCFG's guidance (arXiv 2305.08891 §3.4 as ComfyUI applies it): both predictions moved to
/// v-prediction space, combined with the CFG scale, the result's per-item standard deviation matched to
/// the conditional one and blended by `multiplier`.
struct CFGRescale {
    let multiplier: Float
    let batch: Int

    func denoised(x: [Float], conditional: [Float], unconditional: [Float], scale: Float, sigma: Float) -> [Float] {
        let variance = sigma * sigma + 1
        let root = variance.squareRoot()
        // ComfyUI's function gets x − denoised and returns x − result.
        func velocity(_ denoised: [Float]) -> [Float] {
            zip(x, denoised).map { input, prediction in (input / variance - prediction) * root / sigma }
        }
        let cond = velocity(conditional), uncond = velocity(unconditional)
        let guided = zip(cond, uncond).map { $1 + scale * ($0 - $1) }
        let itemCount = x.count / max(batch, 1)
        var result = [Float](repeating: 0, count: x.count)
        for item in 0..<batch {
            let range = item * itemCount..<(item + 1) * itemCount
            let ratio = Self.standardDeviation(cond[range]) / Self.standardDeviation(guided[range])
            for i in range {
                let final = multiplier * guided[i] * ratio + (1 - multiplier) * guided[i]
                result[i] = x[i] / variance - final * sigma / root
            }
        }
        return result
    }

    /// torch.std: the unbiased estimate.
    static func standardDeviation(_ values: ArraySlice<Float>) -> Float {
        guard values.count > 1 else { return 0 }
        let mean = values.reduce(0, +) / Float(values.count)
        let squares = values.reduce(Float(0)) { $0 + ($1 - mean) * ($1 - mean) }
        return (squares / Float(values.count - 1)).squareRoot()
    }
}

/// ComfyUI's `BrownianTreeNoiseSampler` for dpmpp_2m_sde and dpmpp_3m_sde: the Brownian increment
/// between two sigmas, normalised to unit variance, from one torchsde Brownian tree per run spanning
/// the schedule's smallest nonzero to its largest sigma and seeded with the run's seed. The
/// increments are bit-exact; the normalising square root is IEEE's, which PyTorch's float32 `sqrt`
/// (a vector-library approximation) sometimes misses by one bit.
public struct BrownianTreeNoiseSampler: NoiseSampler {
    private var tree: BrownianTree
    /// torchsde wants t0 < t1; ComfyUI flips the sign when its span comes reversed.
    private let treeSign: Float

    public init(seed: UInt64, sigmaMin: Float, sigmaMax: Float, count: Int) {
        let ordered = sigmaMin < sigmaMax
        treeSign = ordered ? 1 : -1
        tree = BrownianTree(from: Double(ordered ? sigmaMin : sigmaMax), to: Double(ordered ? sigmaMax : sigmaMin),
                            entropy: seed, count: count)
    }

    /// The tree for a sampler's sigmas (before any first-sigma offset), as ComfyUI builds it.
    public init(seed: UInt64, sigmas: [Float], count: Int) {
        let positive = sigmas.filter { $0 > 0 }
        self.init(seed: seed, sigmaMin: positive.min() ?? 0, sigmaMax: sigmas.max() ?? 0, count: count)
    }

    public mutating func noise(from sigma: Double, to sigmaNext: Double) -> [Float] {
        let (a, b) = (Float(sigma), Float(sigmaNext))
        let sign = treeSign * (a < b ? 1 : -1)
        let increment = tree.increment(from: Double(min(a, b)), to: Double(max(a, b)))
        let scale = abs(b - a).squareRoot()
        return increment.map { $0 * sign / scale }
    }
}

/// Where a stochastic sampler takes its per-step noise.
public protocol NoiseSampler: Sendable {
    /// Standard normal noise, one value per state element, for the step from `sigma` to `sigmaNext`.
    mutating func noise(from sigma: Double, to sigmaNext: Double) -> [Float]
}

/// ComfyUI's `default_noise_sampler`, which its ancestral samplers and lcm use: a generator of its
/// own, seeded with the run's seed, drawing `randn` of the whole state each call. (The SDE samplers
/// use `BrownianTreeNoiseSampler`.) ComfyUI creates that generator on the latent's device, so this
/// reproduces ComfyUI running on the CPU; on CUDA its per-step noise comes from the GPU generator.
public struct SeededNoiseSampler: NoiseSampler {
    private var generator: TorchGenerator
    private let count: Int

    public init(seed: UInt64, count: Int) {
        generator = TorchGenerator(seed: seed)
        self.count = count
    }

    public mutating func noise(from sigma: Double, to sigmaNext: Double) -> [Float] {
        generator.randn(count: count)
    }
}

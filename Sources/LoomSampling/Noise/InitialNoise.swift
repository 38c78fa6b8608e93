/// The starting noise of a KSampler run, as ComfyUI's `prepare_noise` draws it.
public enum InitialNoise {
    /// Noise for a latent batch of `batchSize` items of `itemCount` values each.
    ///
    /// One generator is seeded per run. Without `batchIndex` the whole batch is one `randn` call.
    /// With it (latents cut from a larger batch) one item-sized tensor is drawn per index up to the
    /// largest, and item b gets the draw numbered `batchIndex[b]`, so an image keeps its noise
    /// whichever batch it is sampled in.
    public static func prepare(
        seed: UInt64, batchSize: Int, itemCount: Int, batchIndex: [Int]? = nil
    ) throws(SamplingError) -> [Float] {
        var generator = TorchGenerator(seed: seed)
        guard let batchIndex else {
            return generator.randn(count: batchSize * itemCount)
        }
        guard batchIndex.count == batchSize, let largest = batchIndex.max(), batchIndex.allSatisfy({ $0 >= 0 }) else {
            throw .invalidBatchIndex(batchIndex, batchSize: batchSize)
        }
        let draws = (0...largest).map { _ in generator.randn(count: itemCount) }
        return batchIndex.flatMap { draws[$0] }
    }
}

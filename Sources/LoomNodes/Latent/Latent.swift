import LoomGraph
import LoomModels

/// ComfyUI's LATENT: samples as the VAE returns them (the model's latent format scale and shift are
/// applied inside sampling, not here), [batch, channels, height, width].
public struct Latent: Sendable {
    public var samples: HostTensor
    /// SetLatentNoiseMask / VAEEncodeForInpaint: where sampling may change the latent, [batch or 1, 1, H, W]
    /// at any resolution (resized to the latent's when sampling).
    public var noiseMask: HostTensor?
    /// Which noise each item gets when a batch was split (LatentFromBatch); nil means 0, 1, 2, ...
    public var batchIndex: [Int]?

    public init(samples: HostTensor, noiseMask: HostTensor? = nil, batchIndex: [Int]? = nil) {
        self.samples = samples
        self.noiseMask = noiseMask
        self.batchIndex = batchIndex
    }

    public var batchSize: Int { samples.shape[0] }
    public var channels: Int { samples.shape[1] }
    public var height: Int { samples.shape[2] }
    public var width: Int { samples.shape[3] }
}

extension Latent: MemoryFootprint {
    public var memoryFootprint: Int { samples.byteCount + (noiseMask?.byteCount ?? 0) }
    public var memoryBuffers: [MemoryBuffer]? { [samples.memoryBuffer] + (noiseMask.map { [$0.memoryBuffer] } ?? []) }
}

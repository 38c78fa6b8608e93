import LoomGraph
import LoomModels

/// ComfyUI's CONDITIONING: a list of entries, each a cross-attention token sequence with the extras that
/// nodes attach to it. Nodes that add an extra copy the list and set it on every entry, as ComfyUI's
/// `conditioning_set_values` does.
public struct Conditioning: Sendable {
    public var entries: [Entry]

    public init(_ entries: [Entry]) { self.entries = entries }

    public struct Entry: Sendable {
        /// Text-encoder tokens, [batch, tokens, dim] (T5 for Flux; Redux appends image tokens).
        public var crossAttention: HostTensor
        /// The pooled text vector: CLIP-L's for Flux and SD1.x, CLIP-G's for SDXL, [batch, width].
        public var pooledOutput: HostTensor?
        /// FluxGuidance's distilled guidance scale.
        public var guidance: Double?
        /// Flux Fill / InpaintModelConditioning: the masked image's latent (as the VAE returns it) and
        /// the mask at image resolution, [batch, 1, H, W].
        public var concatLatentImage: HostTensor?
        public var concatMask: HostTensor?
        /// CLIPTextEncodeSDXL(Refiner)'s sizes and aesthetic score.
        public var size = SizeConditioning()
        /// The ControlNets Apply ControlNet attached, run with the model while sampling.
        public var control: ControlChain?
        /// StyleModelApply's attention bias toward style tokens (ComfyUI's `attention_mask`).
        public var attentionMask: JointAttentionMask?

        public init(crossAttention: HostTensor, pooledOutput: HostTensor? = nil, guidance: Double? = nil) {
            self.crossAttention = crossAttention
            self.pooledOutput = pooledOutput
            self.guidance = guidance
        }
    }

    /// A copy with `change` applied to every entry.
    public func updatingEntries(_ change: (inout Entry) -> Void) -> Conditioning {
        var copy = self
        for index in copy.entries.indices { change(&copy.entries[index]) }
        return copy
    }
}

extension Conditioning: MemoryFootprint {
    public var memoryFootprint: Int {
        entries.reduce(0) { total, entry in
            total + entry.crossAttention.byteCount + (entry.pooledOutput?.byteCount ?? 0)
                + (entry.concatLatentImage?.byteCount ?? 0) + (entry.concatMask?.byteCount ?? 0) + (entry.control?.memoryFootprint ?? 0)
        }
    }

    public var memoryBuffers: [MemoryBuffer]? {
        entries.flatMap { entry in
            [entry.crossAttention, entry.pooledOutput, entry.concatLatentImage, entry.concatMask].compactMap { $0?.memoryBuffer }
                + (entry.control?.memoryBuffers ?? [])
        }
    }
}

import LoomSampling

/// ComfyUI's SIGMAS: the noise levels a sampler steps through, last one usually 0.
public struct Sigmas: Sendable, Equatable {
    public var values: [Float]
    public init(_ values: [Float]) { self.values = values }
}

/// ComfyUI's SAMPLER: which sampling algorithm SamplerCustom(Advanced) runs.
public struct SamplerSelection: Sendable, Equatable {
    public var name: SamplerName
    public init(_ name: SamplerName) { self.name = name }
}

/// ComfyUI's NOISE: the starting noise of SamplerCustomAdvanced.
public enum NoiseSource: Sendable, Equatable {
    /// RandomNoise: `torch.manual_seed(seed)` then `randn` of the latent's shape, per batch index.
    case random(seed: UInt64)
    /// DisableNoise: sampling starts from the latent as it is.
    case disabled

    /// The seed that also drives stochastic samplers' per-step noise (0 when noise is disabled).
    public var seed: UInt64 {
        switch self {
        case .random(let seed): seed
        case .disabled: 0
        }
    }

    func noise(for latent: Latent, count: Int) throws -> [Float] {
        switch self {
        case .random(let seed):
            try InitialNoise.prepare(seed: seed, batchSize: latent.batchSize, itemCount: count / latent.batchSize,
                                     batchIndex: latent.batchIndex)
        case .disabled:
            [Float](repeating: 0, count: count)
        }
    }
}

/// Names shared by the sampling nodes' schemas.
enum SamplingChoices {
    static let samplers = SamplerName.comfyUINames
    static let schedulers = Scheduler.allCases.map(\.rawValue)
    /// The sampler a workflow names, or the reason Loom cannot run it.
    static func sampler(named name: String) -> Result<SamplerName, SamplingError> {
        do { return .success(try SamplerName(named: name)) } catch { return .failure(error) }
    }

    /// Seeds above `Int.max` arrive as their bit pattern (see `InputSpec.seed`).
    static func seed(_ value: Int) -> UInt64 { UInt64(bitPattern: Int64(value)) }
}

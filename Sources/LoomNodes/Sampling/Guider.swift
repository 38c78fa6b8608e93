import LoomGraph
import LoomModels

/// ComfyUI's GUIDER: how the model's predictions for the prompts combine into one denoised latent.
/// BasicGuider has only a positive prompt; CFGGuider (and KSampler) add a negative one and a scale.
public struct Guider: Sendable {
    public var model: DiffusionModel
    public var positive: Conditioning
    public var negative: Conditioning?
    public var cfg: Double

    public init(model: DiffusionModel, positive: Conditioning, negative: Conditioning? = nil, cfg: Double = 1) {
        self.model = model
        self.positive = positive
        self.negative = negative
        self.cfg = cfg
    }

    /// The guider of the nodes with `positive`, `negative` and `cfg` inputs (KSampler, CFGGuider, SamplerCustom).
    init(cfgInputs inputs: NodeInputs, model: DiffusionModel) throws {
        self.init(model: model, positive: try inputs("positive", as: Conditioning.self),
                  negative: try inputs("negative", as: Conditioning.self), cfg: try inputs("cfg", as: Double.self))
    }

    /// The denoised prediction for the model-space state `x` of `shape` ([batch, channels, height, width])
    /// at `sigma`. `denoiseMask` is the latent's prepared noise mask, which Flux Fill falls back to
    /// when the conditioning carries no mask of its own.
    func denoised(_ x: [Float], sigma: Double, shape: [Int], denoiseMask: HostTensor?) async throws -> [Float] {
        let evaluation = ConditionEvaluation(model: model, shape: shape, denoiseMask: denoiseMask)
        let conditional = try await evaluation.denoised(x, sigma: sigma, conditioning: positive, role: "positive")
        // ComfyUI skips the negative prediction at cfg 1, where it cancels out.
        guard let negative, abs(cfg - 1) > 1e-9 else { return conditional }
        let unconditional = try await evaluation.denoised(x, sigma: sigma, conditioning: negative, role: "negative")
        let scale = Float(cfg)
        return zip(conditional, unconditional).map { $1 + ($0 - $1) * scale }
    }
}

/// Turns conditioning entries into network inputs and network velocities into denoised latents.
struct ConditionEvaluation {
    let model: DiffusionModel
    let shape: [Int]
    let denoiseMask: HostTensor?

    /// The average of every entry's prediction, as ComfyUI weighs overlapping full-frame conditions.
    func denoised(_ x: [Float], sigma: Double, conditioning: Conditioning, role: String) async throws -> [Float] {
        guard !conditioning.entries.isEmpty else {
            throw NodeError("sampling", "the \(role) conditioning is empty")
        }
        var sum = [Float](repeating: 0, count: x.count)
        for entry in conditioning.entries {
            let input = try self.input(x, sigma: sigma, entry: entry)
            let velocity = try await model.network.velocity(input)
            guard velocity.count == x.count else {
                throw NodeError("sampling", "the model returned \(velocity.shape) for a latent of \(shape)")
            }
            let denoised = model.modelSampling.denoised(x: x, velocity: velocity.values, sigma: Float(sigma))
            for i in sum.indices { sum[i] += denoised[i] }
        }
        let count = Float(conditioning.entries.count)
        return count == 1 ? sum : sum.map { $0 / count }
    }

    func input(_ x: [Float], sigma: Double, entry: Conditioning.Entry) throws -> DiffusionInput {
        let batch = shape[0]
        let network = model.network
        let concat: HostTensor? = network.concatChannels > 0
            ? try FluxFillInput(latentFormat: model.latentFormat, noiseShape: shape)
                .concatenation(image: entry.concatLatentImage, mask: entry.concatMask ?? denoiseMask,
                               expectedChannels: network.concatChannels)
            : nil
        return DiffusionInput(
            x: HostTensor(shape: shape, values: x),
            timestep: model.modelSampling.timestep(sigma: Float(sigma)),
            context: entry.crossAttention.resizedToBatch(batch),
            pooled: entry.pooledOutput?.resizedToBatch(batch),
            // Flux conditioning without FluxGuidance gets ComfyUI's default of 3.5.
            guidance: network.usesGuidance ? Float(entry.guidance ?? 3.5) : nil,
            concat: concat)
    }
}

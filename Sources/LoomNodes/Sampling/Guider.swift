import LoomGraph
import LoomModels
import LoomVulkan
import Synchronization

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

    /// The guider ready for a latent of `shape` ([batch, channels, height, width]): every conditioning
    /// entry turned into network inputs once, as ComfyUI's `process_conds` does before the first step.
    /// `denoiseMask` is the latent's prepared noise mask, which Flux Fill falls back to when the
    /// conditioning carries no mask of its own.
    func prepared(shape: [Int], denoiseMask: HostTensor?, latentImage: HostTensor?) throws -> PreparedGuider {
        let positive = try PreparedConditioning(positive, role: "positive", model: model, shape: shape, denoiseMask: denoiseMask,
                                                latentImage: latentImage)
        // ComfyUI skips the negative prediction at cfg 1, where it cancels out.
        let negative = try self.negative.map { ControlChain.sharing(self.positive, with: $0) }.flatMap { negative in
            abs(cfg - 1) > 1e-9
                ? try PreparedConditioning(negative, role: "negative", model: model, shape: shape, denoiseMask: denoiseMask,
                                           latentImage: latentImage)
                : nil
        }
        return PreparedGuider(positive: positive, negative: negative, cfg: Float(cfg), rescale: model.cfgRescaleMultiplier)
    }

    /// One prediction without preparing for a run first.
    func denoised(_ x: [Float], sigma: Double, shape: [Int], denoiseMask: HostTensor?) async throws -> [Float] {
        try await prepared(shape: shape, denoiseMask: denoiseMask, latentImage: nil).denoised(x, sigma: sigma)
    }
}

/// A guider with its prompts turned into network inputs for one latent shape.
struct PreparedGuider: Sendable {
    let positive: PreparedConditioning
    let negative: PreparedConditioning?
    let cfg: Float
    let rescale: Double?

    /// Set once a joint evaluation of both prompts ran out of device memory; later steps evaluate them apart.
    let batching = PromptBatching()

    /// The denoised prediction for the model-space state `x` at `sigma`.
    func denoised(_ x: [Float], sigma: Double) async throws -> [Float] {
        guard let negative else { return try await positive.denoised(x, sigma: sigma) }
        let (conditional, unconditional) = try await predictions(x, sigma: sigma, negative: negative)
        if let rescale {
            return CFGRescale(multiplier: Float(rescale), batch: positive.shape[0])
                .denoised(x: x, conditional: conditional, unconditional: unconditional, scale: cfg, sigma: Float(sigma))
        }
        return zip(conditional, unconditional).map { $1 + ($0 - $1) * cfg }
    }

    /// Both prompts' predictions; from one evaluation over twice the batch where their inputs allow, as ComfyUI's
    /// `calc_cond_batch` joins them. The weights then pass once for both, which on small latents costs little more
    /// than one prompt.
    private func predictions(_ x: [Float], sigma: Double, negative: PreparedConditioning) async throws -> ([Float], [Float]) {
        if batching.isOn, let joint = positive.jointInput(with: negative, x, sigma: sigma) {
            do {
                let output = try await positive.model.network.prediction(for: joint)
                let half = x.count
                guard output.count == 2 * half else {
                    throw NodeError("sampling", "the model returned \(output.shape) for two prompts over a latent of \(positive.shape)")
                }
                let sampling = positive.model.modelSampling
                return (sampling.denoised(x: x, output: Array(output.values[..<half]), sigma: Float(sigma)),
                        sampling.denoised(x: x, output: Array(output.values[half...]), sigma: Float(sigma)))
            } catch let error as VulkanError where error.isExhaustion {
                batching.turnOff()
            }
        }
        return (try await positive.denoised(x, sigma: sigma), try await negative.denoised(x, sigma: sigma))
    }
}

/// Whether a sampling run still evaluates its prompts together.
final class PromptBatching: Sendable {
    private let off = Atomic<Bool>(false)
    var isOn: Bool { !off.load(ordering: .relaxed) }
    func turnOff() { off.store(true, ordering: .relaxed) }
}

/// A conditioning's entries as network inputs, and how network outputs become denoised latents.
struct PreparedConditioning: Sendable {
    let model: DiffusionModel
    let shape: [Int]
    let entries: [NetworkConditioning]
    /// Each entry's ControlNets, in the order they were applied.
    let controls: [[PreparedControl]]

    init(_ conditioning: Conditioning, role: String, model: DiffusionModel, shape: [Int], denoiseMask: HostTensor?,
         latentImage: HostTensor?) throws {
        guard !conditioning.entries.isEmpty else {
            throw NodeError("sampling", "the \(role) conditioning is empty")
        }
        let batch = shape[0]
        do {
            entries = try conditioning.entries.map { entry in
                var prepared = try model.family.conditioning(
                    ConditioningInputs(
                        context: entry.crossAttention, pooled: entry.pooledOutput, guidance: entry.guidance,
                        concatLatentImage: entry.concatLatentImage, concatMask: entry.concatMask, size: entry.size,
                        noiseShape: shape, denoiseMask: denoiseMask, latentImage: latentImage, isNegative: role == "negative",
                        attentionMask: entry.attentionMask),
                    model.network)
                prepared.context = prepared.context.resizedToBatch(batch)
                prepared.vector = prepared.vector?.resizedToBatch(batch)
                return prepared
            }
        } catch let error as ConditioningError {
            throw NodeError("sampling", "\(role): \(error)")
        }
        controls = try conditioning.entries.map { entry in
            try (entry.control?.links ?? []).map { link in
                try PreparedControl(link, role: role, model: model, shape: shape, guidance: entry.guidance)
            }
        }
        self.model = model
        self.shape = shape
    }

    /// One network input holding this conditioning's batch followed by `other`'s, or nil when they cannot share one:
    /// each must have a single entry, no ControlNet active at `sigma` and no attention mask, and their tensors must
    /// have the same shapes.
    func jointInput(with other: PreparedConditioning, _ x: [Float], sigma: Double) -> DiffusionInput? {
        guard entries.count == 1, other.entries.count == 1,
              controls[0].allSatisfy({ $0.input(at: sigma) == nil }), other.controls[0].allSatisfy({ $0.input(at: sigma) == nil })
        else { return nil }
        let (own, theirs) = (entries[0], other.entries[0])
        guard own.attentionMask == nil, theirs.attentionMask == nil, own.guidance == theirs.guidance,
              let context = HostTensor.stackingBatches(own.context, theirs.context)
        else { return nil }
        func joined(_ a: HostTensor?, _ b: HostTensor?) -> HostTensor?? {
            switch (a, b) {
            case (nil, nil): .some(nil)
            case let (a?, b?): HostTensor.stackingBatches(a, b).map { .some($0) }
            default: nil
            }
        }
        guard let vector = joined(own.vector, theirs.vector), let concat = joined(own.concat, theirs.concat) else { return nil }
        let sampling = model.modelSampling
        let state = sampling.networkInput(x, sigma: Float(sigma))
        var doubled = shape
        doubled[0] *= 2
        return DiffusionInput(x: HostTensor(shape: doubled, values: state + state), timestep: sampling.timestep(sigma: Float(sigma)),
                              context: context, vector: vector, guidance: own.guidance, concat: concat)
    }

    /// The average of every entry's prediction, as ComfyUI weighs overlapping full-frame conditions.
    func denoised(_ x: [Float], sigma: Double) async throws -> [Float] {
        var sum = [Float](repeating: 0, count: x.count)
        let sampling = model.modelSampling
        let state = HostTensor(shape: shape, values: sampling.networkInput(x, sigma: Float(sigma)))
        let timestep = sampling.timestep(sigma: Float(sigma))
        for (entry, controls) in zip(entries, controls) {
            let output = try await model.network.prediction(for: DiffusionInput(
                x: state, timestep: timestep, context: entry.context, vector: entry.vector, guidance: entry.guidance,
                concat: entry.concat, controls: controls.compactMap { $0.input(at: sigma) },
                attentionMask: entry.attentionMask))
            guard output.count == x.count else {
                throw NodeError("sampling", "the model returned \(output.shape) for a latent of \(shape)")
            }
            let denoised = sampling.denoised(x: x, output: output.values, sigma: Float(sigma))
            for i in sum.indices { sum[i] += denoised[i] }
        }
        let count = Float(entries.count)
        return count == 1 ? sum : sum.map { $0 / count }
    }
}

/// One ControlNet of a conditioning entry, ready for a run: its hint prepared for the latent's size and its start/end
/// percentages turned into sigmas by the model's sampling, as ComfyUI's `pre_run` and `get_control` do.
struct PreparedControl: Sendable {
    let network: any ControlNetwork
    let hint: HostTensor
    let strength: Float
    let controlType: [Int]
    let guidance: Float
    /// Steers the steps whose sigma lies in `end ... start`.
    let startSigma: Float
    let endSigma: Float

    init(_ link: ControlChain.Link, role: String, model: DiffusionModel, shape: [Int], guidance: Double?) throws {
        let controlNet = link.controlNet
        guard controlNet.family == model.family.name else {
            throw NodeError("sampling", "\(role): a \(controlNet.family) ControlNet (\(controlNet.network)) cannot steer a \(model.family.name) model")
        }
        do {
            hint = try controlNet.preparedHint(link.hint, vae: link.vae, latentShape: shape, extraConcat: link.extraConcat)
        } catch let interrupted as ExecutionInterrupted {
            throw interrupted
        } catch {
            throw NodeError("sampling", "\(role): ControlNet hint: \(error)")
        }
        network = controlNet.network
        strength = Float(link.strength)
        controlType = controlNet.controlType
        // ComfyUI's Flux conditioning carries guidance 3.5 when FluxGuidance set none.
        self.guidance = Float(guidance ?? Double(FluxTransformer.defaultGuidance))
        startSigma = Float(model.modelSampling.percentToSigma(link.startPercent))
        endSigma = Float(model.modelSampling.percentToSigma(link.endPercent))
    }

    /// The ControlNet's input for a step at `sigma`, nil outside its range (compared in float32, as ComfyUI's
    /// tensors compare).
    func input(at sigma: Double) -> ControlInput? {
        let current = Float(sigma)
        if current > startSigma || current < endSigma { return nil }
        return ControlInput(network: network, hint: hint, strength: strength, controlType: controlType, guidance: guidance)
    }
}

extension ControlChain {
    /// `negative` with ControlNetApply's ControlNets given to it, as ComfyUI's `apply_empty_x_to_equal_area` does when
    /// no negative entry has a ControlNet of its own: the i-th such chain of the positive goes to entry i modulo the
    /// negative's count, a later one replacing an earlier.
    static func sharing(_ positive: Conditioning, with negative: Conditioning) -> Conditioning {
        guard !negative.entries.isEmpty, !negative.entries.contains(where: { $0.control != nil }) else { return negative }
        let shared = positive.entries.compactMap(\.control).filter(\.appliesToNegative)
        var result = negative
        for (index, chain) in shared.enumerated() { result.entries[index % result.entries.count].control = chain }
        return result
    }
}

import LoomGraph
import LoomSampling

/// Denoises a latent with a model, a positive and a negative prompt (ComfyUI's `common_ksampler`).
public struct KSampler: Node {
    public static let schema = NodeSchema(
        name: "KSampler", displayName: "KSampler", category: "sampling",
        inputs: [
            .link("model", "MODEL"),
            .seed("seed"),
            .int("steps", default: 20, min: 1, max: 10000),
            .float("cfg", default: 8.0, min: 0, max: 100, step: 0.1, round: 0.01),
            .combo("sampler_name", SamplingChoices.samplers),
            .combo("scheduler", SamplingChoices.schedulers),
            .link("positive", "CONDITIONING"),
            .link("negative", "CONDITIONING"),
            .link("latent_image", "LATENT"),
            .float("denoise", default: 1.0, min: 0, max: 1, step: 0.01),
        ],
        outputs: [OutputSpec("LATENT")])

    public init() {}

    public static func validate(_ inputs: NodeInputs, resources: Resources) -> String? {
        SamplerValidation.problem(inputs)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let model = try inputs("model", as: DiffusionModel.self)
        let sampling = KSampling(
            modelSampling: model.modelSampling, sampler: try SamplerValidation.sampler(inputs, node: Self.schema.name),
            scheduler: try Scheduler(named: try inputs("scheduler", as: String.self)),
            steps: try inputs("steps", as: Int.self), denoise: try inputs("denoise", as: Double.self),
            seed: SamplingChoices.seed(try inputs("seed", as: Int.self)))
        return NodeResult([try await sampling.run(guider: try Guider(cfgInputs: inputs, model: model),
                                                  latent: try inputs("latent_image", as: Latent.self), context: context)])
    }
}

/// KSampler with control over noise and the part of the schedule run, for chaining samplers.
public struct KSamplerAdvanced: Node {
    public static let schema = NodeSchema(
        name: "KSamplerAdvanced", displayName: "KSampler (Advanced)", category: "sampling",
        inputs: [
            .link("model", "MODEL"),
            .combo("add_noise", ["enable", "disable"]),
            .seed("noise_seed"),
            .int("steps", default: 20, min: 1, max: 10000),
            .float("cfg", default: 8.0, min: 0, max: 100, step: 0.1, round: 0.01),
            .combo("sampler_name", SamplingChoices.samplers),
            .combo("scheduler", SamplingChoices.schedulers),
            .link("positive", "CONDITIONING"),
            .link("negative", "CONDITIONING"),
            .link("latent_image", "LATENT"),
            .int("start_at_step", default: 0, min: 0, max: 10000),
            .int("end_at_step", default: 10000, min: 0, max: 10000),
            .combo("return_with_leftover_noise", ["disable", "enable"]),
        ],
        outputs: [OutputSpec("LATENT")])

    public init() {}

    public static func validate(_ inputs: NodeInputs, resources: Resources) -> String? {
        SamplerValidation.problem(inputs)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let model = try inputs("model", as: DiffusionModel.self)
        let sampling = KSampling(
            modelSampling: model.modelSampling, sampler: try SamplerValidation.sampler(inputs, node: Self.schema.name),
            scheduler: try Scheduler(named: try inputs("scheduler", as: String.self)),
            steps: try inputs("steps", as: Int.self), seed: SamplingChoices.seed(try inputs("noise_seed", as: Int.self)),
            addsNoise: try inputs("add_noise", as: String.self) == "enable",
            startStep: try inputs("start_at_step", as: Int.self), endStep: try inputs("end_at_step", as: Int.self),
            returnsWithLeftoverNoise: try inputs("return_with_leftover_noise", as: String.self) == "enable")
        return NodeResult([try await sampling.run(guider: try Guider(cfgInputs: inputs, model: model),
                                                  latent: try inputs("latent_image", as: Latent.self), context: context)])
    }
}

extension KSampling {
    /// The KSampler nodes' run: schedule and seed from `self`, predictions from `guider`.
    func run(guider: Guider, latent: Latent, context: NodeContext) async throws -> Latent {
        var latent = latent
        latent.samples = try latent.samplesFitting(guider.model.latentFormat)
        // A start step past the schedule returns the latent untouched.
        guard let sigmas = try sigmas() else { return latent }
        let noise = try initialNoise(count: latent.samples.count, batchSize: latent.batchSize, batchIndex: latent.batchIndex)
        let sampling = LatentSampling(guider: guider, sampler: sampler, sigmas: sigmas, seed: seed)
        return try await sampling.run(latent, noise: noise, context: context).samples
    }
}

/// Sampler names are combo values for every ComfyUI sampler; those Loom lacks fail validation by name.
enum SamplerValidation {
    static func problem(_ inputs: NodeInputs) -> String? {
        guard let name = inputs.values["sampler_name"] as? String else { return nil }
        if case .failure(let error) = SamplingChoices.sampler(named: name) { return "sampler_name: \(error)" }
        return nil
    }

    static func sampler(_ inputs: NodeInputs, node: String) throws -> SamplerName {
        switch SamplingChoices.sampler(named: try inputs("sampler_name", as: String.self)) {
        case .success(let name): name
        case .failure(let error): throw NodeError(node, "sampler_name: \(error)")
        }
    }
}

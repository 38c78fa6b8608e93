import LoomGraph
import LoomSampling

/// Sigmas of a scheduler for a model; with denoise below 1 the tail of a longer schedule.
public struct BasicScheduler: Node {
    public static let schema = NodeSchema(
        name: "BasicScheduler", displayName: "BasicScheduler", category: "sampling/custom_sampling/schedulers",
        inputs: [
            .link("model", "MODEL"),
            .combo("scheduler", SamplingChoices.schedulers),
            .int("steps", default: 20, min: 1, max: 10000),
            .float("denoise", default: 1.0, min: 0, max: 1, step: 0.01),
        ],
        outputs: [OutputSpec("SIGMAS")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let model = try inputs("model", as: DiffusionModel.self)
        let scheduler = try Scheduler(named: try inputs("scheduler", as: String.self))
        let steps = try inputs("steps", as: Int.self)
        let denoise = try inputs("denoise", as: Double.self)
        return NodeResult([Sigmas(try scheduler.sigmas(steps: steps, denoise: denoise, modelSampling: model.modelSampling))])
    }
}

public struct KSamplerSelect: CPUNode {
    public static let schema = NodeSchema(
        name: "KSamplerSelect", displayName: "KSamplerSelect", category: "sampling/custom_sampling/samplers",
        inputs: [.combo("sampler_name", SamplingChoices.samplers)],
        outputs: [OutputSpec("SAMPLER")])

    public init() {}

    public static func validate(_ inputs: NodeInputs, resources: Resources) -> String? {
        SamplerValidation.problem(inputs)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([SamplerSelection(try SamplerValidation.sampler(inputs, node: Self.schema.name))])
    }
}

public struct RandomNoise: CPUNode {
    public static let schema = NodeSchema(
        name: "RandomNoise", displayName: "RandomNoise", category: "sampling/custom_sampling/noise",
        inputs: [.seed("noise_seed")],
        outputs: [OutputSpec("NOISE")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([NoiseSource.random(seed: SamplingChoices.seed(try inputs("noise_seed", as: Int.self)))])
    }
}

public struct DisableNoise: CPUNode {
    public static let schema = NodeSchema(
        name: "DisableNoise", displayName: "DisableNoise", category: "sampling/custom_sampling/noise",
        inputs: [], outputs: [OutputSpec("NOISE")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([NoiseSource.disabled])
    }
}

public struct BasicGuider: CPUNode {
    public static let schema = NodeSchema(
        name: "BasicGuider", displayName: "BasicGuider", category: "sampling/custom_sampling/guiders",
        inputs: [.link("model", "MODEL"), .link("conditioning", "CONDITIONING")],
        outputs: [OutputSpec("GUIDER")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([Guider(model: try inputs("model", as: DiffusionModel.self),
                           positive: try inputs("conditioning", as: Conditioning.self))])
    }
}

public struct CFGGuider: CPUNode {
    public static let schema = NodeSchema(
        name: "CFGGuider", displayName: "CFGGuider", category: "sampling/custom_sampling/guiders",
        inputs: [
            .link("model", "MODEL"),
            .link("positive", "CONDITIONING"),
            .link("negative", "CONDITIONING"),
            .float("cfg", default: 8.0, min: 0, max: 100, step: 0.1, round: 0.01),
        ],
        outputs: [OutputSpec("GUIDER")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try Guider(cfgInputs: inputs, model: try inputs("model", as: DiffusionModel.self))])
    }
}

/// Samples with a guider, sampler, sigmas and noise from other nodes.
public struct SamplerCustomAdvanced: Node {
    public static let schema = NodeSchema(
        name: "SamplerCustomAdvanced", displayName: "SamplerCustomAdvanced", category: "sampling/custom_sampling",
        inputs: [
            .link("noise", "NOISE"),
            .link("guider", "GUIDER"),
            .link("sampler", "SAMPLER"),
            .link("sigmas", "SIGMAS"),
            .link("latent_image", "LATENT"),
        ],
        outputs: [OutputSpec("LATENT", name: "output"), OutputSpec("LATENT", name: "denoised_output")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let noise = try inputs("noise", as: NoiseSource.self)
        return try await LatentSampling.custom(guider: try inputs("guider", as: Guider.self), noise: noise, seed: noise.seed,
                                               inputs: inputs, context: context)
    }
}

/// SamplerCustomAdvanced with the CFG guider and random noise built in.
public struct SamplerCustom: Node {
    public static let schema = NodeSchema(
        name: "SamplerCustom", displayName: "SamplerCustom", category: "sampling/custom_sampling",
        inputs: [
            .link("model", "MODEL"),
            .boolean("add_noise", default: true),
            .seed("noise_seed"),
            .float("cfg", default: 8.0, min: 0, max: 100, step: 0.1, round: 0.01),
            .link("positive", "CONDITIONING"),
            .link("negative", "CONDITIONING"),
            .link("sampler", "SAMPLER"),
            .link("sigmas", "SIGMAS"),
            .link("latent_image", "LATENT"),
        ],
        outputs: [OutputSpec("LATENT", name: "output"), OutputSpec("LATENT", name: "denoised_output")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let guider = try Guider(cfgInputs: inputs, model: try inputs("model", as: DiffusionModel.self))
        let seed = SamplingChoices.seed(try inputs("noise_seed", as: Int.self))
        let noise: NoiseSource = try inputs("add_noise", as: Bool.self) ? .random(seed: seed) : .disabled
        return try await LatentSampling.custom(guider: guider, noise: noise, seed: seed, inputs: inputs, context: context)
    }
}

/// Turns the latent's noise mask into a per-step threshold (soft inpainting edges).
public struct DifferentialDiffusion: CPUNode {
    public static let schema = NodeSchema(
        name: "DifferentialDiffusion", displayName: "Differential Diffusion", category: "_for_testing",
        inputs: [
            .link("model", "MODEL"),
            .float("strength", default: 1.0, min: 0, max: 1, step: 0.01, section: .optional),
        ],
        outputs: [OutputSpec("MODEL")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        var model = try inputs("model", as: DiffusionModel.self)
        model.differentialDiffusionStrength = try inputs.optional("strength", as: Double.self) ?? 1
        return NodeResult([model])
    }
}

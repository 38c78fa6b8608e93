import LoomGraph

/// ComfyUI's LoraLoaderModelOnly: LoraLoader without a CLIP, so the LoRA's text-encoder tensors are
/// reported as not loaded, as in ComfyUI.
public struct LoraLoaderModelOnly: Node {
    public static let schema = NodeSchema(
        name: "LoraLoaderModelOnly", displayName: "LoraLoaderModelOnly", category: "loaders",
        description: "Applies a LoRA to a diffusion model only.",
        inputs: [
            .link("model", "MODEL"),
            .combo("lora_name", ComboOptions(choices: .files(folder: "loras"))),
            .float("strength_model", default: 1.0, min: LoraLoader.strengthRange.min, max: LoraLoader.strengthRange.max,
                   step: LoraLoader.strengthRange.step),
        ],
        outputs: [OutputSpec("MODEL")])

    public init() {}

    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        try LoraLoader.fingerprint(inputs, resources: resources)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let model = try inputs("model", as: DiffusionModel.self)
        let strength = try inputs("strength_model", as: Double.self)
        if strength == 0 { return NodeResult([model]) }
        let applied = try LoraLoader.apply(try inputs("lora_name"), to: model, clip: nil, strengthModel: strength, strengthClip: 0,
                                           node: Self.schema.name, resources: context.resources)
        return NodeResult([applied.model], ui: LoraLoader.warningOutput(applied.warnings))
    }
}

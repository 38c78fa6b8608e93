import LoomGraph
import LoomSampling

/// Sets a Flux model's sigma shift from the image size: the shift grows linearly with the number of
/// latent patches from `base_shift` at 256 to `max_shift` at 4096 (a 1024² image).
public struct ModelSamplingFlux: Node {
    public static let schema = NodeSchema(
        name: "ModelSamplingFlux", displayName: "ModelSamplingFlux", category: "advanced/model",
        inputs: [
            .link("model", "MODEL"),
            .float("max_shift", default: 1.15, min: 0, max: 100, step: 0.01),
            .float("base_shift", default: 0.5, min: 0, max: 100, step: 0.01),
            .int("width", default: 1024, min: 16, max: ImageNodes.maxResolution, step: 8),
            .int("height", default: 1024, min: 16, max: ImageNodes.maxResolution, step: 8),
        ],
        outputs: [OutputSpec("MODEL")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        var model = try inputs("model", as: DiffusionModel.self).requireFamily(.flux, node: Self.schema.name)
        model.modelSampling = FluxModelSampling(
            width: try inputs("width", as: Int.self), height: try inputs("height", as: Int.self),
            maxShift: try inputs("max_shift", as: Double.self), baseShift: try inputs("base_shift", as: Double.self))
        return NodeResult([model])
    }
}

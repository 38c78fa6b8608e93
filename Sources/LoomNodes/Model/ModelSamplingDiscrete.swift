import LoomGraph
import LoomSampling

/// Gives a model ComfyUI's discrete SD schedule with another prediction type (v-prediction
/// checkpoints, zero-terminal-SNR fine-tunes).
public struct ModelSamplingDiscrete: Node {
    static let samplings = ["eps", "v_prediction", "lcm", "x0", "img_to_img"]
    static let predictions: [String: PredictionType] = ["eps": .epsilon, "v_prediction": .velocity]

    public static let schema = NodeSchema(
        name: "ModelSamplingDiscrete", displayName: "ModelSamplingDiscrete", category: "advanced/model",
        inputs: [.link("model", "MODEL"), .combo("sampling", samplings), .boolean("zsnr", default: false)],
        outputs: [OutputSpec("MODEL")], pythonModule: "comfy_extras.nodes_model_advanced")

    public init() {}

    public static func validate(_ inputs: NodeInputs, resources: Resources) -> String? {
        guard let sampling = inputs.values["sampling"] as? String, predictions[sampling] == nil else { return nil }
        return "sampling: '\(sampling)' is not supported by Loom (supported: eps, v_prediction)"
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        var model = try inputs("model", as: DiffusionModel.self)
        let sampling = try inputs("sampling", as: String.self)
        guard let prediction = Self.predictions[sampling] else {
            throw NodeError(Self.schema.name, "sampling: '\(sampling)' is not supported by Loom")
        }
        model.modelSampling = DiscreteModelSampling(prediction: prediction, zeroTerminalSNR: try inputs("zsnr", as: Bool.self))
        return NodeResult([model])
    }
}

/// RescaleCFG: classifier-free guidance rescaled toward the conditional prediction's spread, computed
/// in v-prediction space as ComfyUI does (for v-prediction and zero-terminal-SNR models).
public struct RescaleCFG: CPUNode {
    public static let schema = NodeSchema(
        name: "RescaleCFG", displayName: "RescaleCFG", category: "advanced/model",
        inputs: [.link("model", "MODEL"), .float("multiplier", default: 0.7, min: 0, max: 1, step: 0.01)],
        outputs: [OutputSpec("MODEL")], pythonModule: "comfy_extras.nodes_model_advanced")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        var model = try inputs("model", as: DiffusionModel.self)
        model.cfgRescaleMultiplier = try inputs("multiplier", as: Double.self)
        return NodeResult([model])
    }
}

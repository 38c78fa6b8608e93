import LoomGraph
import LoomModels

/// ComfyUI's "Load Diffusion Model": a transformer from `diffusion_models` (legacy `unet`).
///
/// `weight_dtype`: `default` keeps the file's dtype (bf16, f16, fp8 e4m3 with its scale, GGUF blocks);
/// `fp8_e4m3fn` and `fp8_e4m3fn_fast` store the linear layers' bf16/f16/f32 matrices as fp8 e4m3, as
/// ComfyUI casts them, halving a bf16 model's memory (biases and norms keep their dtype; all products
/// accumulate in f32, so "fast" is the same path). `fp8_e5m2` has no shader path and fails validation.
public struct UNETLoader: Node {
    static let weightTypes = ["default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"]

    public static let schema = NodeSchema(
        name: "UNETLoader", displayName: "Load Diffusion Model", category: "advanced/loaders",
        inputs: [
            .combo("unet_name", ComboOptions(choices: .files(folder: "diffusion_models"))),
            .combo("weight_dtype", weightTypes),
        ],
        outputs: [OutputSpec("MODEL")])

    public init() {}

    public static func validate(_ inputs: NodeInputs, resources: Resources) -> String? {
        guard inputs.values["weight_dtype"] as? String == "fp8_e5m2" else { return nil }
        return "weight_dtype: fp8_e5m2 is not supported by Loom; use default or fp8_e4m3fn"
    }

    /// The named files' contents: a model replaced under the same name re-runs the loader.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        ModelFileLookup.fingerprint(inputs, [("unet_name", "diffusion_models")], resources: resources)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let name: String = try inputs("unet_name")
        let conversion: LinearWeightConversion? = try inputs("weight_dtype", as: String.self).hasPrefix("fp8_e4m3fn") ? .float8E4M3 : nil
        return NodeResult([try DiffusionModelFiles.load(
            name, folder: "diffusion_models", input: "unet_name", node: Self.schema.name, resources: context.resources,
            linearWeightConversion: conversion)])
    }
}

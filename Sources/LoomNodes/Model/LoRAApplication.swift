import LoomGraph
import LoomModelFiles
import LoomModels

/// ComfyUI's `load_lora_for_models`: a LoRA's changes planned against the model's (and the CLIP's)
/// weights, appended to the patches they already carry, and the changed networks built again from
/// their memory-mapped files.
struct LoRAApplication {
    var model: DiffusionModel
    var clip: TextEncoder?
    /// ComfyUI's "lora key not loaded" lines.
    var warnings: [String]

    init(lora file: ModelFile, name: String, model: DiffusionModel, clip: TextEncoder?, strengthModel: Float,
         strengthClip: Float, node: String, resources: Resources) throws {
        guard let source = model.source else {
            throw NodeError(node, "model: this \(model.family.name) model was not loaded from a file, so a LoRA cannot be applied to it")
        }
        let clipWeights = clip?.source?.weights ?? [:]
        let plan: LoRAPatchPlan
        do {
            plan = try LoRAPatchPlan(
                lora: file, diffusionModel: .init(file: source.file, prefix: source.model.prefix), architecture: source.model.architecture,
                textEncoders: clipWeights.mapValues { .init(file: $0.file, prefix: $0.prefix) },
                strengthModel: strengthModel, strengthClip: strengthClip)
        } catch LoRAError.nothingMatched {
            let parts = clip == nil ? "the \(model.family.name) model" : "the \(model.family.name) model or its CLIP"
            throw NodeError(node, "lora_name: \(name) changes none of the weights of \(parts); "
                            + "it looks like a LoRA for \(Self.likelyTarget(of: file.tensors.map(\.name)))")
        } catch {
            throw NodeError(node, "lora_name: \(error)")
        }
        warnings = plan.warnings
        do {
            let context = try resources.computeDevice.context()
            self.model = plan.diffusionModel.isEmpty
                ? model : try model.rebuilt(with: LoRAPatchPlan.merged(source.patches, plan.diffusionModel), context: context)
            if var clip, let clipSource = clip.source, !plan.textEncoders.isEmpty {
                var weights = clipSource.weights
                for (kind, patches) in plan.textEncoders {
                    let existing = weights[kind]?.patches ?? [:]
                    weights[kind]?.patches = LoRAPatchPlan.merged(existing, patches)
                }
                let layer = clip.clipLayer
                clip = try TextEncoderAssembly.textEncoder(clipSource.kinds, weights: weights, resources: resources)
                clip.clipLayer = layer
                self.clip = clip
            } else {
                self.clip = clip
            }
        } catch let error as NodeError {
            throw error
        } catch {
            throw NodeError(node, "lora_name: \(name): \(error)")
        }
    }

    /// What a LoRA that matched nothing was probably made for, from its tensor names.
    static func likelyTarget(of names: [String]) -> String {
        func any(_ markers: [String]) -> Bool { names.contains { name in markers.contains { name.contains($0) } } }
        if any(["double_blocks", "single_blocks", "single_transformer_blocks"]) { return "Flux" }
        if any(["lora_te2_", "text_encoder_2.", "add_embedding", "label_emb"]) { return "SDXL" }
        if any(["input_blocks", "down_blocks", "output_blocks", "up_blocks", "middle_block", "mid_block"]) { return "an SD UNet (SD1.5 or SDXL)" }
        if any(["lora_te", "text_encoder", "text_model"]) { return "text encoders this CLIP does not hold" }
        return "a model Loom does not recognise"
    }
}

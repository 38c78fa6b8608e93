import Foundation
import LoomGraph
import LoomModelFiles
import LoomModels

/// Loads a ControlNet from the `controlnet` folder, recognised by its keys as ComfyUI's `load_controlnet` recognises
/// it. Loom runs the InstantX / Shakker-Labs Flux ControlNets (union, single-mode and Alimama's inpainting one, diffusers
/// names), XLabs Flux ControlNets (BFL names, picture hints) and classic SD1.x / SDXL ControlNets in the LDM layout
/// (`control_model.` prefix or none) or diffusers' (xinsir's SDXL union ones included); the other layouts ComfyUI reads
/// are refused by name.
public struct ControlNetLoader: Node {
    public static let schema = NodeSchema(
        name: "ControlNetLoader", displayName: "Load ControlNet Model", category: "loaders",
        inputs: [.combo("control_net_name", ComboOptions(choices: .files(folder: "controlnet")))],
        outputs: [OutputSpec("CONTROL_NET")])

    public init() {}

    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        ModelFileLookup.fingerprint(inputs, [("control_net_name", "controlnet")], resources: resources)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try Self.load(inputs, context: context, node: Self.schema.name)])
    }

    static func load(_ inputs: NodeInputs, context: NodeContext, node: String) throws -> ControlNet {
        let name: String = try inputs("control_net_name")
        let directories = try ModelFileLookup.directories(context.resources, for: name, input: "control_net_name", node: node)
        let file: ModelFile
        do {
            file = try ModelFile.open(path: directories.path(of: name, in: "controlnet"))
        } catch {
            throw NodeError(node, "control_net_name: \(error)")
        }
        if file["difference"] != nil {
            throw NodeError(node, "control_net_name: '\(name)' is a \"difference\" ControlNet (weights relative to the base model), which Loom does not run yet")
        }
        let device = try context.resources.computeDevice.context()
        for detected in ArchitectureDetector.detect(file) {
            let weights = ModelWeights(file: file, prefix: detected.prefix, context: device)
            do {
                switch detected.architecture {
                case .fluxControlNet(let parameters):
                    // XLabs ControlNets take the picture itself; the others its VAE latent.
                    let xlabs = parameters.layout == .xlabs
                    var controlNet = ControlNet(network: try FluxControlNet(weights: weights, parameters: parameters),
                                                family: ModelFamily.flux.name, hintLatentFormat: xlabs ? nil : .flux)
                    // ComfyUI's test: 17 hint channels (16 + a mask) before patching.
                    controlNet.concatMask = !xlabs && parameters.hintChannels == parameters.inChannels + 4
                    return controlNet
                case .unetControlNet(let parameters):
                    guard let family = ModelFamily.all.first(where: { $0.recognises(.unet(parameters.unet)) }) else {
                        throw NodeError(node, "control_net_name: '\(name)' is a UNet ControlNet for no model family Loom knows (\(detected.architecture))")
                    }
                    // ComfyUI averages a shuffle ControlNet's residuals over the picture, chosen by the file name.
                    let stem = (name as NSString).deletingPathExtension
                    if stem.hasSuffix("_shuffle") || stem.hasSuffix("_shuffle_fp16") {
                        throw NodeError(node, "control_net_name: '\(name)' is a shuffle ControlNet, whose global average pooling Loom does not apply yet")
                    }
                    return ControlNet(network: try UNetControlNet(weights: weights, parameters: parameters), family: family.name,
                                      hintLatentFormat: nil)
                default:
                    continue
                }
            } catch let error as NodeError {
                throw error
            } catch {
                throw NodeError(node, "control_net_name: '\(name)': \(error)")
            }
        }
        throw NodeError(node, "control_net_name: '\(name)' \(unsupportedLayout(file))")
    }

    /// Why a file that is no InstantX-layout Flux ControlNet cannot be loaded, named by the keys ComfyUI tells
    /// the layouts apart by.
    static func unsupportedLayout(_ file: ModelFile) -> String {
        func has(_ key: String) -> Bool { file[key] != nil }
        let layouts: [(Bool, String)] = [
            (has("controlnet_blocks.0.weight") && has("double_blocks.0.img_attn.norm.key_norm.scale"), "an incomplete XLabs Flux ControlNet"),
            (has("controlnet_blocks.0.linear.weight"), "a Mistoline Flux ControlNet"),
            (has("controlnet_blocks.0.weight") && has("pos_embed_input.proj.weight"), "an SD3 ControlNet"),
            (has("controlnet_blocks.0.weight") && has("transformer_blocks.0.img_mlp.net.0.proj.weight"), "a Qwen-Image ControlNet"),
            (has("after_proj_list.18.bias"), "a Hunyuan-DiT ControlNet"),
            (has("lora_controlnet"), "a Control-LoRA"),
            (has("adapter.body.0.resnets.0.block1.weight") || has("body.0.in_conv.weight") || has("conv_in.weight") && has("body.0.block1.weight"),
             "a T2I-Adapter"),
            (has("controlnet_cond_embedding.conv_in.weight"),
             "an incomplete diffusers-format SD1.x/SDXL ControlNet (no conv_in, time_embedding, down_blocks, controlnet_down_blocks or controlnet_mid_block)"),
            (has("zero_convs.0.0.weight") || has("control_model.zero_convs.0.0.weight"),
             "an incomplete SD1.x/SDXL ControlNet (no input_hint_block, middle_block_out or encoder blocks)"),
        ]
        if let (_, layout) = layouts.first(where: \.0) {
            return "is \(layout), which Loom does not run; Loom runs InstantX / Shakker-Labs and XLabs Flux ControlNets (controlnet_x_embedder.weight, pos_embed_input.weight) and SD1.x/SDXL ones in the LDM layout (zero_convs.0.0.weight) or diffusers' (controlnet_cond_embedding.conv_in.weight)"
        }
        return "is not a ControlNet Loom recognises (expected controlnet_x_embedder.weight, the InstantX / Shakker-Labs Flux layout, zero_convs.0.0.weight, the LDM SD1.x/SDXL layout, or controlnet_cond_embedding.conv_in.weight, diffusers' SD1.x/SDXL layout)"
    }
}

/// ComfyUI's DiffControlNetLoader: the model input only matters for SD1.x "difference" ControlNets (weights stored
/// relative to the base model), which Loom does not run; every other file loads as ControlNetLoader loads it.
public struct DiffControlNetLoader: Node {
    public static let schema = NodeSchema(
        name: "DiffControlNetLoader", displayName: "Load ControlNet Model (diff)", category: "loaders",
        inputs: [.link("model", "MODEL"), .combo("control_net_name", ComboOptions(choices: .files(folder: "controlnet")))],
        outputs: [OutputSpec("CONTROL_NET")])

    public init() {}

    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        ModelFileLookup.fingerprint(inputs, [("control_net_name", "controlnet")], resources: resources)
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try ControlNetLoader.load(inputs, context: context, node: Self.schema.name)])
    }
}

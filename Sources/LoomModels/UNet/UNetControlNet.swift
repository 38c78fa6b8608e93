import LoomModelFiles
import LoomVulkan

/// A classic SD1.x / SDXL ControlNet (LDM layout), computing what ComfyUI's `cldm.ControlNet` computes: the hint picture
/// through `input_hint_block` (eight 3×3 convolutions, SiLU between, stride 2 at the third, fifth and seventh) is added
/// after `conv_in` of a copy of the UNet's encoder; each encoder output and the middle block's output pass a 1×1
/// convolution and become residuals of the UNet's skip connections and middle block (`UNetControlResiduals`).
/// Files in diffusers' names are read under the LDM names ComfyUI gives them; xinsir's union ControlNet adds its
/// control-type parts (`UNetControlTypes`).
public struct UNetControlNet: ControlNetwork {
    public let parameters: UNetControlNetParameters
    let context: VulkanContext
    let encoder: UNetEncoder
    let hintEncoder: [Convolution]
    let zeroConvolutions: [Convolution]
    let middleOut: Convolution
    let controlTypes: UNetControlTypes?

    public var description: String { parameters.unionControlTypeCount == nil ? "UNet ControlNet" : "union UNet ControlNet" }

    public init(weights stored: ModelWeights, parameters: UNetControlNetParameters) throws(ModelLoadingError) {
        guard parameters.hintWidths.count == 8 else {
            throw .unsupported(file: stored.file.path, reason: "a ControlNet hint encoder of \(parameters.hintWidths.count) convolutions (ComfyUI's has 8)")
        }
        var weights = stored
        if parameters.layout == .diffusers {
            weights.storedNames = DiffusersControlNetNames.ldmNames(stored.file.tensorNames, prefix: stored.prefix).mapValues { [$0] }
        }
        self.parameters = parameters
        context = weights.context
        encoder = try UNetEncoder(weights: weights, parameters: parameters.unet)
        let widths = [parameters.hintChannels] + parameters.hintWidths
        hintEncoder = try (0..<parameters.hintWidths.count).map { index throws(ModelLoadingError) in
            try Convolution(weights, "input_hint_block.\(2 * index)", inputs: widths[index], outputs: widths[index + 1], kernel: 3,
                            Convolution2DParameters(stride: [2, 4, 6].contains(index) ? 2 : 1, padding: 1))
        }
        zeroConvolutions = try encoder.skipWidths.enumerated().map { index, width throws(ModelLoadingError) in
            try Convolution.pointwise(weights, "zero_convs.\(index).0", inputs: width, outputs: width)
        }
        let middleWidth = encoder.skipWidths.last ?? parameters.unet.modelChannels
        middleOut = try .pointwise(weights, "middle_block_out.0", inputs: middleWidth, outputs: middleWidth)
        controlTypes = try parameters.unionControlTypeCount.map { count throws(ModelLoadingError) in
            try UNetControlTypes(weights: weights, typeCount: count, hintWidth: parameters.unet.modelChannels,
                                 embeddingWidth: parameters.unet.timeEmbeddingDimension)
        }
    }

    /// The residuals for one evaluation of the UNet on `input` (its state, timestep, context and ADM vector; not
    /// `concat`, which is the UNet's alone), scaled by `control.strength`, on the device. The hint is the picture in
    /// [0, 1], [batch, channels, 8·height, 8·width] of the latent.
    func residuals(_ control: ControlInput, for input: DiffusionInput, recorder: CommandRecorder) throws -> UNetControlResiduals {
        guard recorder.context === context else {
            throw DiffusionInputError(model: "UNet ControlNet", input: "control", expected: "the UNet's device", found: [])
        }
        let inputs = try UNetInputs(DiffusionInput(x: input.x, timestep: input.timestep, context: input.context, vector: input.vector),
                                    parameters.unet)
        let (batch, height, width) = (inputs.x.shape[0], inputs.x.shape[2], inputs.x.shape[3])
        let hint = control.hint
        guard hint.rank == 4, hint.shape[0] > 0, hint.shape[1] == parameters.hintChannels, hint.shape[2] == 8 * height, hint.shape[3] == 8 * width else {
            throw DiffusionInputError(model: "UNet ControlNet", input: "hint",
                                      expected: "[batch, \(parameters.hintChannels), \(8 * height), \(8 * width)] (8 × the latent)", found: hint.shape)
        }
        if let controlTypes { try controlTypes.validate(control.controlType) }
        let pictures = ControlInput.broadcast(hint, to: batch)
        var guided = try context.upload(pictures.values, shape: pictures.shape)
        for (index, convolution) in hintEncoder.enumerated() {
            guided = try convolution(guided, on: recorder)
            if index < hintEncoder.count - 1 { guided = try recorder.silu(guided) }
        }
        var (_, embedding) = try encoder.embedding(timestep: input.timestep, vector: inputs.vector, batch: batch, context: context, on: recorder)
        if let controlTypes {
            embedding = try recorder.add(embedding, controlTypes.embedding(types: control.controlType, context: context, on: recorder))
            if let type = control.controlType.first { guided = try controlTypes.steer(guided, type: type, on: recorder) }
        }
        let conditioning = UNetBlock.Conditioning(activatedEmbedding: try recorder.silu(embedding),
                                                  context: try context.upload(inputs.context.values, shape: inputs.context.shape))
        var output: [Tensor] = []
        var h = try encoder.encode(context.upload(inputs.x.values, shape: inputs.x.shape), conditioning, on: recorder) { index, h in
            let steered = index == 0 ? try recorder.add(h, guided) : h
            output.append(try scaled(zeroConvolutions[index](steered, on: recorder), by: control.strength, recorder))
            return steered
        }
        if let middleBlock = encoder.middleBlock { h = try middleBlock(h, conditioning, on: recorder) }
        let middle = try scaled(middleOut(h, on: recorder), by: control.strength, recorder)
        try recorder.submit()
        return UNetControlResiduals(output: output, middle: middle)
    }

    private func scaled(_ x: Tensor, by strength: Float, _ recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        strength == 1 ? x : try recorder.scaled(x, by: strength)
    }
}

/// One UNet ControlNet's residuals for one evaluation, strength applied: one per skip connection (`conv_in`'s first)
/// and one for the middle block's output.
struct UNetControlResiduals {
    let output: [Tensor]
    let middle: Tensor

    /// `h + residual`, refusing a residual of another shape (ComfyUI skips it with a warning).
    static func adding(_ residual: Tensor, to h: Tensor, at place: String, _ recorder: CommandRecorder) throws -> Tensor {
        guard residual.shape == h.shape else {
            throw DiffusionInputError(model: "UNet", input: "control", expected: "a residual of shape \(h.shape) at the \(place)", found: residual.shape)
        }
        return try recorder.add(h, residual)
    }
}

import LoomModelFiles
import LoomVulkan

/// The control-type parts of xinsir's SDXL union ControlNet (ControlNet++), computing what ComfyUI's `cldm.ControlNet`
/// does with them: a sinusoid of the one-hot type vector through `control_add_embedding` joins the time embedding
/// (also with no type chosen), and with a type chosen, the hint features' spatial mean plus that type's
/// `task_embedding` row pass one transformer layer (`transformer_layes`) and `spatial_ch_projs`, whose output is added
/// to every position of the encoded hint. The transformer sees a single token, so its attention is its value and
/// output projections.
struct UNetControlTypes: Sendable {
    let typeCount: Int
    let width: Int
    /// Width of each type's sinusoid (256 in the real models).
    let sinusoidWidth: Int
    let taskEmbedding: Tensor
    let typeEmbedding: (first: Linear, second: Linear)
    let norms: (first: LayerNormWeights, second: LayerNormWeights)
    let inputProjection: Linear
    let outputProjection: Linear
    let mlp: (first: Linear, second: Linear)
    let spatialProjection: Linear

    init(weights: ModelWeights, typeCount: Int, hintWidth: Int, embeddingWidth: Int) throws(ModelLoadingError) {
        let task = try weights.shape(of: "task_embedding")
        let typeInputs = try weights.shape(of: "control_add_embedding.linear_1.weight")
        guard task.count == 2, task[0] == typeCount, task[1] == hintWidth, typeInputs.count == 2, typeInputs[1] % typeCount == 0,
              typeInputs[1] / typeCount % 2 == 0 else {
            throw .unsupported(file: weights.file.path, reason: "union ControlNet: task_embedding \(task) and control_add_embedding.linear_1 \(typeInputs) do not fit \(typeCount) control types of width \(hintWidth)")
        }
        self.typeCount = typeCount
        width = hintWidth
        sinusoidWidth = typeInputs[1] / typeCount
        taskEmbedding = try weights.float32("task_embedding", shape: task)
        typeEmbedding = (try weights.linear("control_add_embedding.linear_1", inputs: typeInputs[1], outputs: embeddingWidth),
                         try weights.linear("control_add_embedding.linear_2", inputs: embeddingWidth, outputs: embeddingWidth))
        let layer = "transformer_layes.0."
        norms = (try LayerNormWeights(weights, layer + "ln_1", width: width), try LayerNormWeights(weights, layer + "ln_2", width: width))
        inputProjection = try weights.linear(layer + "attn.in_proj", inputs: width, outputs: 3 * width)
        outputProjection = try weights.linear(layer + "attn.out_proj", inputs: width, outputs: width)
        mlp = (try weights.linear(layer + "mlp.c_fc", inputs: width, outputs: 4 * width),
               try weights.linear(layer + "mlp.c_proj", inputs: 4 * width, outputs: width))
        spatialProjection = try weights.linear("spatial_ch_projs", inputs: width, outputs: width)
    }

    /// ComfyUI's check (made when sampling): a type the model has not got, as the first union model lacks the promax
    /// model's tile and repaint, is refused; so is more than one (ComfyUI fails on it).
    func validate(_ types: [Int]) throws(UnionControlTypeError) {
        if let type = types.first(where: { $0 < 0 || $0 >= typeCount }) { throw UnionControlTypeError(type: type, typeCount: typeCount) }
        if types.count > 1 { throw UnionControlTypeError(type: types[1], typeCount: typeCount) }
    }

    /// What joins the time embedding for the chosen types (none: "auto"), [1, embedding width].
    func embedding(types: [Int], context: VulkanContext, on recorder: CommandRecorder) throws -> Tensor {
        var oneHot = [Float](repeating: 0, count: typeCount)
        for type in types { oneHot[type] = 1 }
        let sinusoid = try context.upload(timestepEmbedding(oneHot, dimension: sinusoidWidth, timeFactor: 1),
                                          shape: [1, typeCount * sinusoidWidth])
        return try typeEmbedding.second(recorder.silu(typeEmbedding.first(sinusoid, on: recorder)), on: recorder)
    }

    /// The encoded hint [B, width, H, W] steered by one control type.
    func steer(_ hint: Tensor, type: Int, on recorder: CommandRecorder) throws -> Tensor {
        let (batch, height, width) = (hint.shape[0], hint.shape[2], hint.shape[3])
        let average = try recorder.mean(recorder.contiguous(hint).reshaped([batch, self.width, height * width])).reshaped([batch, self.width])
        var x = try recorder.add(average, taskEmbedding.sliced(axis: 0, type..<(type + 1)))
        let values = try inputProjection(norms.first(x, on: recorder), on: recorder).sliced(axis: 1, (2 * self.width)..<(3 * self.width))
        x = try recorder.add(x, outputProjection(recorder.contiguous(values), on: recorder))
        x = try recorder.add(x, mlp.second(recorder.quickGELU(mlp.first(norms.second(x, on: recorder), on: recorder)), on: recorder))
        let shift = try spatialProjection(x, on: recorder).reshaped([batch, self.width, 1, 1])
        return try recorder.add(hint, shift)
    }
}

/// A control type a union ControlNet cannot take.
public struct UnionControlTypeError: Error, Sendable, CustomStringConvertible {
    public let type: Int
    public let typeCount: Int

    public var description: String {
        "control type \(type) is out of range for this union ControlNet's \(typeCount) control types (indices 0–\(typeCount - 1), one at a time)"
            + (typeCount < 8 ? "; the ProMax model (xinsir/controlnet-union-sdxl-1.0, promax) has 8, tile and repaint included" : "")
    }
}

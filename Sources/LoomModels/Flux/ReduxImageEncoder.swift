import LoomModelFiles
import LoomVulkan

/// Flux Redux's projector: SigLIP tokens into T5-width conditioning tokens, `redux_down(silu(redux_up(x)))`.
public struct ReduxImageEncoder: Sendable {
    public let parameters: FluxReduxParameters
    let context: VulkanContext
    let up, down: Linear

    public init(weights: ModelWeights) throws(ModelLoadingError) {
        let detected = ArchitectureDetector.detect(weights.file).first { $0.prefix == weights.prefix }
        guard case .fluxRedux(let parameters)? = detected?.architecture else {
            throw .unsupported(file: weights.file.path, reason: "no Flux Redux model (expected redux_up.weight and redux_down.weight)")
        }
        self.parameters = parameters
        context = weights.context
        up = try weights.linear("redux_up", inputs: parameters.inputDimension, outputs: parameters.hiddenSize)
        down = try weights.linear("redux_down", inputs: parameters.hiddenSize, outputs: parameters.outputDimension)
    }

    /// `tokens` is [B, L, inputDimension]; the result [B, L, outputDimension].
    public func callAsFunction(_ tokens: HostTensor) throws -> HostTensor {
        guard tokens.rank == 3, tokens.shape[2] == parameters.inputDimension else {
            throw VisionEncoderError.invalidTokens("Redux takes image tokens [batch, tokens, \(parameters.inputDimension)], got \(tokens.shape)")
        }
        let recorder = try context.makeRecorder()
        let x = try context.upload(tokens.values, shape: tokens.shape)
        let projected = try down(recorder.silu(up(x, on: recorder)), on: recorder)
        try recorder.submit()
        return HostTensor(shape: projected.shape, values: try context.download(projected))
    }
}

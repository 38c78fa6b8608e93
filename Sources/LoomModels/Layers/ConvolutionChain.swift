import LoomModelFiles
import LoomVulkan

/// A plain sequence of same-size convolutions (each optionally followed by a ReLU) and 2×2 max-pools, as
/// the OpenPose networks are built (`make_layers` in the annotator code). Widths come from the file; each
/// layer must take what the one before gives.
struct ConvolutionChain: Sendable {
    /// One layer as the network declares it: a convolution named in the file with its kernel size, or a pool.
    enum Layer: Sendable {
        case convolution(String, kernel: Int, relu: Bool)
        case maxPool
    }

    enum Step: Sendable {
        case convolution(Convolution, relu: Bool)
        case maxPool
    }

    let steps: [Step]
    let inputChannels: Int
    let outputChannels: Int

    init(_ weights: ModelWeights, _ layers: [Layer], inputChannels: Int) throws(ModelLoadingError) {
        var channels = inputChannels
        var steps: [Step] = []
        for layer in layers {
            switch layer {
            case .maxPool:
                steps.append(.maxPool)
            case .convolution(let name, let kernel, let relu):
                let shape = try weights.shape(of: name + ".weight")
                guard shape.count == 4, shape[1] == channels, shape[2] == kernel, shape[3] == kernel, shape[0] > 0 else {
                    throw .unexpectedShape(name: weights.prefix + name + ".weight", file: weights.file.path,
                                           expected: [shape.first ?? -1, channels, kernel, kernel], found: shape)
                }
                let convolution = try Convolution(weights, name, inputs: channels, outputs: shape[0], kernel: kernel,
                                                  Convolution2DParameters(padding: kernel / 2))
                steps.append(.convolution(convolution, relu: relu))
                channels = shape[0]
            }
        }
        self.steps = steps
        self.inputChannels = inputChannels
        outputChannels = channels
    }

    func callAsFunction(_ x: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        var x = x
        for step in steps {
            switch step {
            case .convolution(let convolution, let relu):
                x = try convolution(x, on: recorder)
                if relu { x = try recorder.relu(x) }
            case .maxPool:
                x = try recorder.pooled(x, .max, kernel: (2, 2))
            }
        }
        return x
    }
}

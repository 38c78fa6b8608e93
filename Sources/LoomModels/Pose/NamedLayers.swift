import Foundation
import LoomModelFiles
import LoomVulkan

/// A PyTorch module tree's weights by their dotted names, as TorchScript archives keep them: unlike ONNX exports,
/// BatchNorm is still a module of its own, so it is folded into the convolution before it here, with the epsilon
/// the network's code uses (TorchScript keeps that number in the code, which Loom does not read). A name the file
/// lacks is reported by name, with the architecture whose layout was expected. A network traced inside a wrapper
/// module has its names under the wrapper's attribute; the anchor, the network's first weight, finds that prefix.
struct NamedLayers {
    let weights: ModelWeights
    /// What the network is, for messages: "YOLOX", "RTMPose".
    let architecture: String
    let batchNormEpsilon: Double

    init(_ file: ModelFile, context: VulkanContext, architecture: String, batchNormEpsilon: Double, anchor: String) {
        let wrapped = file.tensorNames.filter { $0.hasSuffix("." + anchor) }
        let prefix = file[anchor] == nil && wrapped.count == 1 ? String(wrapped[0].dropLast(anchor.count)) : ""
        weights = ModelWeights(file: file, prefix: prefix, context: context)
        self.architecture = architecture
        self.batchNormEpsilon = batchNormEpsilon
    }

    var path: String { weights.file.path }

    func contains(_ name: String) -> Bool { weights.contains(name) }

    /// A weight's values on the host, after checking its shape (nil: any shape).
    func floats(_ name: String, shape expected: [Int]? = nil) throws(ModelLoadingError) -> [Float] {
        let stored = try stored(name)
        if let expected, stored.shape != expected {
            throw .unexpectedShape(name: weights.prefix + name, file: path, expected: expected, found: stored.shape)
        }
        return stored.floats()
    }

    func shape(of name: String) throws(ModelLoadingError) -> [Int] { try stored(name).shape }

    private func stored(_ name: String) throws(ModelLoadingError) -> StoredTensor {
        guard contains(name) else {
            throw .unsupported(file: path, reason: "it has no tensor '\(weights.prefix + name)', which \(architecture) stored under PyTorch module names has; the file is a different network or was saved with other module names")
        }
        return try weights.stored(name)
    }

    /// `<module>.weight` (and `<module>.bias`, when the file has one), a `kernel`×`kernel` convolution with "same"
    /// padding; `inputs` is the channel count it reads (the kernel holds inputs / groups).
    func convolution(_ module: String, inputs: Int, kernel: Int, stride: Int = 1, groups: Int = 1,
                     outputs: Int? = nil) throws(ModelLoadingError) -> Convolution {
        let (weight, outputs) = try kernelValues(module + ".weight", inputs: inputs, kernel: kernel, groups: groups, outputs: outputs)
        let bias = contains(module + ".bias") ? try floats(module + ".bias", shape: [outputs]) : nil
        return try upload(weight, bias: bias, outputs: outputs, inputs: inputs / groups, kernel: kernel, stride: stride, groups: groups)
    }

    /// A convolution without bias at `<module>.<convolution>` followed by BatchNorm at `<module>.<norm>` (mmcv's
    /// ConvModule and YOLOX's BaseConv name them `conv` and `bn`), as one convolution: the kernel scaled by
    /// γ / √(var + ε) per output channel and the bias β − mean · γ / √(var + ε).
    func convolutionWithBatchNorm(_ module: String, inputs: Int, kernel: Int, stride: Int = 1, groups: Int = 1,
                                  outputs: Int? = nil, convolution: String = "conv", norm: String = "bn") throws(ModelLoadingError) -> Convolution {
        let convolutionName = module + "." + convolution, normName = module + "." + norm
        var (weight, outputs) = try kernelValues(convolutionName + ".weight", inputs: inputs, kernel: kernel, groups: groups, outputs: outputs)
        let gamma = try floats(normName + ".weight", shape: [outputs]), beta = try floats(normName + ".bias", shape: [outputs])
        let mean = try floats(normName + ".running_mean", shape: [outputs]), variance = try floats(normName + ".running_var", shape: [outputs])
        let existingBias = contains(convolutionName + ".bias") ? try floats(convolutionName + ".bias", shape: [outputs]) : nil
        let perOutput = weight.count / max(outputs, 1)
        var bias = [Float](repeating: 0, count: outputs)
        for channel in 0..<outputs {
            let scale = Double(gamma[channel]) / (Double(variance[channel]) + batchNormEpsilon).squareRoot()
            for index in (channel * perOutput)..<((channel + 1) * perOutput) { weight[index] = Float(Double(weight[index]) * scale) }
            let shifted = Double(existingBias?[channel] ?? 0) - Double(mean[channel])
            bias[channel] = Float(Double(beta[channel]) + shifted * scale)
        }
        return try upload(weight, bias: bias, outputs: outputs, inputs: inputs / groups, kernel: kernel, stride: stride, groups: groups)
    }

    /// `<module>.weight` as the device `Linear` wants it, [outputs, inputs], without bias.
    func linear(_ module: String, inputs: Int, outputs: Int? = nil) throws(ModelLoadingError) -> Linear {
        let name = module + ".weight"
        let shape = try shape(of: name)
        guard shape.count == 2, shape[1] == inputs, outputs.map({ $0 == shape[0] }) ?? true else {
            throw .unexpectedShape(name: weights.prefix + name, file: path, expected: [outputs ?? -1, inputs], found: shape)
        }
        let values = try floats(name)
        return Linear(weight: try onDevice { () throws(VulkanError) in try weights.context.upload(values, shape: shape, dtype: .f32) },
                      weightScale: 1, bias: nil)
    }

    /// How many consecutive numbered children `<container>.0`, `<container>.1`, … have `<probe>` (a Sequential's
    /// blocks), at most `limit`.
    func childCount(_ container: String, probe: String, limit: Int = 64) -> Int {
        var count = 0
        while count < limit, contains("\(container).\(count).\(probe)") { count += 1 }
        return count
    }

    func onDevice(_ body: () throws(VulkanError) -> Tensor) throws(ModelLoadingError) -> Tensor {
        do { return try body() } catch { throw .device(String(describing: error)) }
    }

    private func kernelValues(_ name: String, inputs: Int, kernel: Int, groups: Int, outputs: Int?) throws(ModelLoadingError) -> ([Float], Int) {
        let shape = try shape(of: name)
        guard groups > 0, inputs % groups == 0, shape.count == 4, Array(shape[1...]) == [inputs / groups, kernel, kernel],
              outputs.map({ $0 == shape[0] }) ?? true else {
            throw .unexpectedShape(name: weights.prefix + name, file: path, expected: [outputs ?? -1, groups > 0 ? inputs / groups : inputs, kernel, kernel], found: shape)
        }
        return (try floats(name), shape[0])
    }

    private func upload(_ weight: [Float], bias: [Float]?, outputs: Int, inputs: Int, kernel: Int, stride: Int,
                        groups: Int) throws(ModelLoadingError) -> Convolution {
        let context = weights.context
        let kernelTensor = try onDevice { () throws(VulkanError) in
            try context.upload(weight, shape: [outputs, inputs, kernel, kernel], dtype: .f32)
        }
        let biasTensor = try bias.map { values throws(ModelLoadingError) in
            try onDevice { () throws(VulkanError) in try context.upload(values, shape: [outputs], dtype: .f32) }
        }
        return Convolution(weight: kernelTensor, bias: biasTensor,
                           parameters: Convolution2DParameters(stride: stride, padding: kernel / 2, groups: groups))
    }
}

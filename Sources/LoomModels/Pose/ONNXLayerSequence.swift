import LoomModelFiles
import LoomVulkan

/// An ONNX export's weights as a network written in Loom takes them: exporters fold BatchNorm into the
/// convolutions and rename their weights (`onnx::Conv_1532`), so names say nothing; instead the graph's
/// convolutions are taken in node order (ONNX orders nodes so that each comes after what it reads, and
/// PyTorch's exporter writes them in the order the forward pass ran), each checked against what the network
/// expects at that place: kernel, stride, padding, groups and channel counts. The file's operator list is
/// checked first, so a different architecture is refused by name rather than read wrongly.
struct ONNXLayerSequence {
    let model: ONNXModel
    let weights: ModelWeights
    /// What the network is, for messages: "YOLOX", "RTMPose".
    let architecture: String
    let convolutions: [ONNXModel.Node]
    /// The nodes reading each value, by their place in the graph.
    let readers: [String: [Int]]
    private(set) var position = 0

    init(_ model: ONNXModel, context: VulkanContext, architecture: String, operators: Set<String>,
         counts: [String: Int] = [:]) throws(ModelLoadingError) {
        self.model = model
        self.architecture = architecture
        weights = ModelWeights(file: model.weights, context: context)
        let found = model.operatorCounts
        let foreign = found.keys.filter { !operators.contains($0) }.sorted()
        guard foreign.isEmpty else {
            throw .unsupported(file: model.path, reason: "the graph uses \(foreign.joined(separator: ", ")), which \(architecture) does not; it is a different network")
        }
        for (op, expected) in counts.sorted(by: { $0.key < $1.key }) where found[op, default: 0] != expected {
            throw .unsupported(file: model.path, reason: "the graph has \(found[op, default: 0]) \(op) nodes where \(architecture) has \(expected); it is a different network")
        }
        convolutions = model.nodes.filter { $0.opType == "Conv" }
        var readers: [String: [Int]] = [:]
        for (index, node) in model.nodes.enumerated() {
            for input in Set(node.inputs) { readers[input, default: []].append(index) }
        }
        self.readers = readers
    }

    func mismatch(_ problem: String) -> ModelLoadingError {
        .unsupported(file: model.path, reason: "\(problem), unlike \(architecture); the file is a different network")
    }

    /// The value convolution `index` gives after its SiLU (`Mul(x, Sigmoid(x))`), or its own output when none follows.
    func activated(_ index: Int) -> String {
        let output = convolutions[index].outputs.first ?? ""
        let nodes = readers[output, default: []].map { model.nodes[$0] }
        guard let sigmoid = nodes.first(where: { $0.opType == "Sigmoid" }), let gate = sigmoid.outputs.first,
              let product = nodes.first(where: { $0.opType == "Mul" && Set($0.inputs) == [output, gate] }) else { return output }
        return product.outputs.first ?? output
    }

    /// Whether convolution `consumer` reads what convolution `producer` gives (through its activation).
    func reads(_ consumer: Int, from producer: Int) -> Bool {
        consumer < convolutions.count && producer < convolutions.count && convolutions[consumer].inputs.first == activated(producer)
    }

    /// Where convolution `index`'s activated output stands among the inputs of the Concat that joins it to others.
    func concatenationPlace(of index: Int) -> Int? {
        let value = activated(index)
        for reader in readers[value, default: []] where model.nodes[reader].opType == "Concat" {
            return model.nodes[reader].inputs.firstIndex(of: value)
        }
        return nil
    }

    /// The next convolution's kernel size, input and output channels, without taking it.
    func peek(_ ahead: Int = 0) -> (kernel: Int, inputs: Int, outputs: Int, groups: Int)? {
        guard position + ahead < convolutions.count else { return nil }
        let node = convolutions[position + ahead]
        guard node.inputs.count >= 2, let shape = model.tensor(node.inputs[1])?.shape, shape.count == 4 else { return nil }
        let groups = node.int("group") ?? 1
        return (shape[2], shape[1] * groups, shape[0], groups)
    }

    /// Takes the next convolution, which must be `kernel`×`kernel` with `stride`, "same" padding and `groups`,
    /// reading `inputs` channels (and giving `outputs`, when given).
    mutating func convolution(_ what: @autoclosure () -> String, inputs: Int, kernel: Int, stride: Int = 1, groups: Int = 1,
                              outputs: Int? = nil) throws(ModelLoadingError) -> Convolution {
        func refuse(_ problem: String) -> ModelLoadingError {
            .unsupported(file: model.path, reason: "\(architecture) convolution \(position) (\(what())): \(problem); the file is a different network")
        }
        guard position < convolutions.count else { throw refuse("the graph has only \(convolutions.count) convolutions") }
        let node = convolutions[position]
        guard node.inputs.count >= 2, let stored = model.tensor(node.inputs[1]) else { throw refuse("its kernel is not a weight of the file") }
        let expected = [outputs ?? stored.shape.first ?? -1, inputs / max(groups, 1), kernel, kernel]
        guard stored.shape == expected, inputs % max(groups, 1) == 0 else {
            throw refuse("the kernel has shape \(stored.shape), expected \(expected)")
        }
        let padding = kernel / 2
        guard (node.ints("kernel_shape") ?? [kernel, kernel]) == [kernel, kernel],
              (node.ints("strides") ?? [1, 1]) == [stride, stride],
              (node.ints("pads") ?? [0, 0, 0, 0]) == [padding, padding, padding, padding],
              (node.ints("dilations") ?? [1, 1]) == [1, 1], (node.int("group") ?? 1) == groups,
              node.attributes["auto_pad"] == nil || node.attributes["auto_pad"] == .string("NOTSET") else {
            throw refuse("its attributes \(node.attributes) are not a \(kernel)×\(kernel) convolution with stride \(stride), padding \(padding) and \(groups) groups")
        }
        var bias: Tensor?
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            guard let stored = model.tensor(node.inputs[2]), stored.shape == [expected[0]] else { throw refuse("its bias is not a weight of shape [\(expected[0])]") }
            bias = try weights.float32(stored.name)
        }
        position += 1
        return Convolution(weight: try weights.convolutionKernel(stored.name), bias: bias,
                           parameters: Convolution2DParameters(stride: stride, padding: padding, groups: groups))
    }

    /// Every convolution must have been taken.
    func finish() throws(ModelLoadingError) {
        guard position == convolutions.count else {
            throw .unsupported(file: model.path, reason: "the graph has \(convolutions.count) convolutions where \(architecture) has \(position); it is a different network")
        }
    }

    /// A weight that is the operand of a MatMul (PyTorch exports `Linear` without bias on a 3-D input as a
    /// MatMul with the transposed matrix), as the device `Linear` wants it: [outputs, inputs].
    func matmulWeight(_ node: ONNXModel.Node, inputs: Int, outputs: Int?, _ what: String) throws(ModelLoadingError) -> Linear {
        guard node.inputs.count == 2, let stored = model.tensor(node.inputs[1]), stored.shape.count == 2, stored.shape[0] == inputs,
              outputs.map({ $0 == stored.shape[1] }) ?? true, let transposed = stored.transposed(named: stored.name) else {
            throw .unsupported(file: model.path, reason: "\(architecture) \(what): expected a MatMul by a [\(inputs), \(outputs.map(String.init) ?? "n")] weight; the file is a different network")
        }
        let weight = try onDevice { () throws(VulkanError) in
            try weights.context.upload(transposed.floats(), shape: transposed.shape, dtype: .f32)
        }
        return Linear(weight: weight, weightScale: 1, bias: nil)
    }

    func onDevice(_ body: () throws(VulkanError) -> Tensor) throws(ModelLoadingError) -> Tensor {
        do { return try body() } catch { throw .device(String(describing: error)) }
    }
}

extension Convolution {
    init(weight: Tensor, bias: Tensor?, parameters: Convolution2DParameters) {
        self.weight = weight
        self.bias = bias
        self.parameters = parameters
    }
}

import Foundation
import LoomModelFiles
import LoomVulkan

/// RTMPose as DWPose's `dw-ll_ucoco_384.onnx` holds it (mmdeploy export, BatchNorm folded): mmdet's CSPNeXt
/// backbone (a three-convolution stem, four stages of a strided convolution and a CSP layer of CSPNeXt blocks
/// with channel attention, SPP before the last) and mmpose's RTMCCHead: a 7×7 convolution to one map per
/// keypoint, each map flattened, ScaleNorm and a Linear, one gated attention unit, and the SimCC classifiers
/// along x and y. Widths, block counts and the head's sizes come from the file (RTMPose-l: 3, 6, 6, 3 blocks).
public struct RTMPoseNetwork: Sendable {
    static let operators: Set<String> = ["Conv", "Sigmoid", "Mul", "Add", "Concat", "MaxPool", "GlobalAveragePool", "ReduceMean",
                                          "HardSigmoid", "Shape", "Constant", "Slice", "Reshape", "Flatten", "ReduceL2", "ReduceSum",
                                          "Pow", "Sqrt", "Clip", "Max", "Div", "MatMul", "Split", "Unsqueeze", "Squeeze", "Transpose",
                                          "Relu", "Gather", "Cast", "Identity", "Concat", "Expand"]
    /// RTMPose's ScaleNorm divides by max(‖x‖/√d, 1e-5); the device's RMS norm takes an epsilon under the root.
    static let normEpsilon: Float = 1e-10

    struct CSPLayer: Sendable {
        let shortConvolution, mainConvolution, attention, finalConvolution: Convolution
        /// conv1 (3×3), the depthwise 5×5 and the pointwise 1×1 of each CSPNeXt block.
        let blocks: [(Convolution, Convolution, Convolution)]
        let addsIdentity: Bool
    }

    let context: VulkanContext
    let stem: [Convolution]
    let stages: [(Convolution, CSPLayer)]
    let spp: (Convolution, Convolution)
    let finalLayer: Convolution
    let mlpScale: Float
    let mlp: Linear
    let gauScale: Float
    let uv: Linear
    let gamma: [Float], beta: [Float]
    let output: Linear
    let residualScale: Tensor
    let classifierX, classifierY: Linear
    public let keypointCount: Int
    /// The input's height and width (384 × 288 for dw-ll_ucoco_384).
    public let inputSize: (height: Int, width: Int)
    let expansion: Int, attentionWidth: Int

    public init(model: ONNXModel, context: VulkanContext) throws(ModelLoadingError) {
        self.context = context
        let path = model.path
        var layers = try ONNXLayerSequence(model, context: context, architecture: "RTMPose", operators: Self.operators)
        guard model.inputs.count == 1, model.outputs.count == 2 else {
            throw .unsupported(file: path, reason: "RTMPose has one input and two outputs (simcc_x, simcc_y); this graph has \(model.inputs.count) and \(model.outputs.count)")
        }
        var stem: [Convolution] = []
        var channels = 3
        for index in 0..<3 {
            let convolution = try layers.convolution("stem.\(index)", inputs: channels, kernel: 3, stride: index == 0 ? 2 : 1)
            stem.append(convolution)
            channels = convolution.outputChannels
        }
        self.stem = stem
        var stages: [(Convolution, CSPLayer)] = []
        var spp: (Convolution, Convolution)?
        for index in 0..<4 {
            let down = try layers.convolution("stage\(index + 1).0", inputs: channels, kernel: 3, stride: 2)
            channels = down.outputChannels
            if index == 3 {
                let hidden = channels / 2
                spp = (try layers.convolution("stage4 SPP conv1", inputs: channels, kernel: 1, outputs: hidden),
                       try layers.convolution("stage4 SPP conv2", inputs: hidden * 4, kernel: 1, outputs: channels))
            }
            stages.append((down, try Self.cspLayer(&layers, "stage\(index + 1)", channels: channels, addsIdentity: index < 3)))
        }
        self.stages = stages
        self.spp = spp!
        finalLayer = try layers.convolution("head.final_layer", inputs: channels, kernel: 7)
        guard finalLayer.bias != nil else { throw .unsupported(file: path, reason: "RTMPose's final layer has a bias; this one does not") }
        keypointCount = finalLayer.outputChannels
        try layers.finish()
        let identities = stages.prefix(3).reduce(0) { $0 + $1.1.blocks.count }
        let adds = model.operatorCounts["Add", default: 0]
        guard adds == identities + 2 else {
            throw .unsupported(file: path, reason: "the graph has \(adds) Add nodes where RTMPose's residual blocks and attention unit need \(identities + 2); it is a different network")
        }

        // The head's matrices, in the order the forward pass uses them: mlp, uv, o, cls_x, cls_y.
        let matmuls = model.nodes.filter { $0.opType == "MatMul" && $0.inputs.count == 2 && model.tensor($0.inputs[1]) != nil }
        guard matmuls.count == 5, let flatten = model.tensor(matmuls[0].inputs[1])?.shape.first,
              let hidden = model.tensor(matmuls[0].inputs[1])?.shape.last, let uvWidth = model.tensor(matmuls[1].inputs[1])?.shape.last,
              let expansion = model.tensor(matmuls[2].inputs[1])?.shape.first, uvWidth > 2 * expansion else {
            throw .unsupported(file: path, reason: "RTMPose's head multiplies by five weight matrices (mlp, uv, o, cls_x, cls_y); this graph does not")
        }
        mlp = try layers.matmulWeight(matmuls[0], inputs: flatten, outputs: hidden, "head.mlp.1")
        uv = try layers.matmulWeight(matmuls[1], inputs: hidden, outputs: uvWidth, "head.gau.uv")
        output = try layers.matmulWeight(matmuls[2], inputs: expansion, outputs: hidden, "head.gau.o")
        classifierX = try layers.matmulWeight(matmuls[3], inputs: hidden, outputs: nil, "head.cls_x")
        classifierY = try layers.matmulWeight(matmuls[4], inputs: hidden, outputs: nil, "head.cls_y")
        self.expansion = expansion
        attentionWidth = uvWidth - 2 * expansion
        let s = attentionWidth
        // The simcc split ratio is 2: the classifiers cover twice the input's width and height.
        inputSize = (classifierY.outputCount / 2, classifierX.outputCount / 2)
        guard inputSize.height % 32 == 0, inputSize.width % 32 == 0, (inputSize.height / 32) * (inputSize.width / 32) == flatten else {
            throw .unsupported(file: path, reason: "RTMPose's head flattens \(flatten) positions, which does not fit an input of \(inputSize.width) × \(inputSize.height)")
        }

        // Small parameters, found by the operation that uses them.
        func producer(_ value: String) -> ONNXModel.Node? { model.nodes.first { $0.outputs.contains(value) } }
        func parameter(of node: ONNXModel.Node) -> StoredTensor? { node.inputs.lazy.compactMap { model.tensor($0) }.first }
        let multiplies = model.nodes.filter { $0.opType == "Mul" }
        let normScales = multiplies.filter { node in
            parameter(of: node)?.elementCount == 1 && node.inputs.contains { producer($0)?.opType == "Div" }
        }.compactMap { parameter(of: $0) }
        let gammas = multiplies.compactMap { parameter(of: $0) }.filter { $0.shape.suffix(2) == [2, s] && $0.elementCount == 2 * s }
        let betas = model.nodes.filter { $0.opType == "Add" }.compactMap { parameter(of: $0) }.filter { $0.shape.suffix(2) == [2, s] && $0.elementCount == 2 * s }
        let residual = multiplies.compactMap { parameter(of: $0) }.filter { $0.shape == [hidden] }
        guard normScales.count == 2, gammas.count == 1, betas.count == 1, residual.count == 1 else {
            throw .unsupported(file: path, reason: "RTMPose's head has two ScaleNorms, the attention unit's gamma and beta [2, \(s)] and a residual scale [\(hidden)]; this graph has \(normScales.count), \(gammas.count), \(betas.count) and \(residual.count)")
        }
        mlpScale = normScales[0].floats()[0]
        gauScale = normScales[1].floats()[0]
        gamma = gammas[0].floats()
        beta = betas[0].floats()
        residualScale = try layers.onDevice { () throws(VulkanError) in try context.upload(residual[0].floats(), shape: [hidden], dtype: .f32) }
    }

    /// mmdet's CSPLayer with CSPNeXt blocks: short_conv and main_conv (1×1 to half the width), blocks on the
    /// main branch for as long as the graph has them, channel attention on both branches side by side, final_conv.
    static func cspLayer(_ layers: inout ONNXLayerSequence, _ name: String, channels: Int, addsIdentity: Bool) throws(ModelLoadingError) -> CSPLayer {
        let mid = channels / 2
        let first = layers.position
        var short = try layers.convolution("\(name) short_conv", inputs: channels, kernel: 1, outputs: mid)
        var main = try layers.convolution("\(name) main_conv", inputs: channels, kernel: 1, outputs: mid)
        // mmdet runs short_conv first; an export that ran main_conv first is read by which one the blocks take.
        let (shortIndex, mainIndex) = layers.reads(first + 2, from: first) ? (first + 1, first) : (first, first + 1)
        if shortIndex == first + 1 { swap(&short, &main) }
        guard layers.reads(first + 2, from: mainIndex), layers.concatenationPlace(of: shortIndex) == 1 else {
            throw layers.mismatch("\(name)'s blocks do not read main_conv, or short_conv is not the second part of the concatenation")
        }
        var blocks: [(Convolution, Convolution, Convolution)] = []
        while let next = layers.peek(), next.kernel == 3, blocks.count < 64 {
            let block = "\(name) blocks.\(blocks.count)"
            blocks.append((try layers.convolution("\(block).conv1", inputs: mid, kernel: 3, outputs: mid),
                           try layers.convolution("\(block) depthwise", inputs: mid, kernel: 5, groups: mid, outputs: mid),
                           try layers.convolution("\(block) pointwise", inputs: mid, kernel: 1, outputs: mid)))
        }
        let attention = try layers.convolution("\(name) attention.fc", inputs: 2 * mid, kernel: 1, outputs: 2 * mid)
        guard attention.bias != nil else {
            throw .unsupported(file: layers.model.path, reason: "RTMPose \(name)'s channel attention has a bias; this one does not")
        }
        let final = try layers.convolution("\(name) final_conv", inputs: 2 * mid, kernel: 1, outputs: channels)
        return CSPLayer(shortConvolution: short, mainConvolution: main, attention: attention, finalConvolution: final, blocks: blocks,
                        addsIdentity: addsIdentity)
    }

    /// SimCC vectors for one normalised crop [1, 3, H, W]: x [keypoints, 2W] and y [keypoints, 2H].
    public func callAsFunction(_ input: HostTensor) throws -> (x: HostTensor, y: HostTensor) {
        guard input.shape == [1, 3, inputSize.height, inputSize.width] else {
            throw PoseEstimationError.invalidInput("RTMPose takes [1, 3, \(inputSize.height), \(inputSize.width)], got \(input.shape)")
        }
        let recorder = try context.makeRecorder()
        func act(_ convolution: Convolution, _ x: Tensor) throws -> Tensor { try recorder.silu(convolution(x, on: recorder)) }
        // HardSigmoid, clamp(x/6 + 1/2, 0, 1), as relu(a) − relu(a − 1).
        let half = try context.upload([0.5], shape: [1]), minusOne = try context.upload([-1], shape: [1])
        func hardSigmoid(_ x: Tensor) throws -> Tensor {
            let a = try recorder.add(recorder.scaled(x, by: 1 / 6), half)
            return try recorder.add(recorder.relu(a), recorder.scaled(recorder.relu(recorder.add(a, minusOne)), by: -1))
        }
        func csp(_ layer: CSPLayer, _ x: Tensor) throws -> Tensor {
            let short = try act(layer.shortConvolution, x)
            var main = try act(layer.mainConvolution, x)
            for (conv1, depthwise, pointwise) in layer.blocks {
                let y = try act(pointwise, act(depthwise, act(conv1, main)))
                main = layer.addsIdentity ? try recorder.add(y, main) : y
            }
            let both = try recorder.concatenate([main, short], axis: 1)
            let pooled = try recorder.pooled(both, .average, kernel: (both.shape[2], both.shape[3]))
            let weights = try hardSigmoid(layer.attention(pooled, on: recorder))
            return try act(layer.finalConvolution, recorder.multiply(both, weights))
        }
        var x = try context.upload(input.values, shape: input.shape)
        for convolution in stem { x = try act(convolution, x) }
        for (index, (down, layer)) in stages.enumerated() {
            x = try act(down, x)
            if index == 3 {
                let hidden = try act(spp.0, x)
                let pools = try [5, 9, 13].map { kernel throws in
                    try recorder.pooled(hidden, .max, kernel: (kernel, kernel), stride: (1, 1), padding: (kernel / 2, kernel / 2))
                }
                x = try act(spp.1, recorder.concatenate([hidden] + pools, axis: 1))
            }
            x = try csp(layer, x)
            try recorder.submit()
        }
        let maps = try finalLayer(x, on: recorder)
        let flat = try recorder.contiguous(maps).reshaped([keypointCount, maps.shape[2] * maps.shape[3]])
        let tokens = try mlp(recorder.scaled(recorder.rmsNorm(flat, epsilon: Self.normEpsilon), by: mlpScale), on: recorder)
        // The gated attention unit (mmpose RTMCCBlock, self-attention without relative bias).
        let normalised = try recorder.scaled(recorder.rmsNorm(tokens, epsilon: Self.normEpsilon), by: gauScale)
        let uvs = try recorder.silu(uv(normalised, on: recorder))
        let u = try recorder.contiguous(recorder.slice(uvs, axis: 1, 0..<expansion))
        let v = try recorder.slice(uvs, axis: 1, expansion..<(2 * expansion))
        let base = try recorder.contiguous(recorder.slice(uvs, axis: 1, (2 * expansion)..<(2 * expansion + attentionWidth)))
        let s = attentionWidth
        func affine(_ row: Int) throws -> Tensor {
            let scale = try context.upload(Array(gamma[(row * s)..<((row + 1) * s)]), shape: [s])
            let shift = try context.upload(Array(beta[(row * s)..<((row + 1) * s)]), shape: [s])
            return try recorder.add(recorder.multiply(base, scale), shift)
        }
        let query = try affine(0), key = try affine(1)
        let similarity = try recorder.relu(recorder.scaled(recorder.matmul(query, transposedB: key), by: 1 / Float(s).squareRoot()))
        let kernel = try recorder.multiply(similarity, similarity)
        let attended = try recorder.matmul(kernel, transposedB: recorder.contiguous(recorder.permute(v, [1, 0])))
        let gated = try output(recorder.multiply(u, attended), on: recorder)
        let features = try recorder.add(recorder.multiply(tokens, residualScale), gated)
        let simccX = try classifierX(features, on: recorder), simccY = try classifierY(features, on: recorder)
        try recorder.submit()
        return (HostTensor(shape: [keypointCount, simccX.shape[1]], values: try context.download(simccX)),
                HostTensor(shape: [keypointCount, simccY.shape[1]], values: try context.download(simccY)))
    }
}

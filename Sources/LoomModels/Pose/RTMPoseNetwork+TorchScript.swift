import LoomModelFiles
import LoomVulkan

extension RTMPoseNetwork {
    /// mmcv's BatchNorm epsilon (RTMPose's configs use SyncBN with its default).
    static let batchNormEpsilon = 1e-5

    /// The estimator from a TorchScript archive (the pack's `dw-ll_ucoco_384_bs5.torchscript.pt`, traced for batches
    /// of 5, which changes nothing in the weights), whose weights keep mmdet's and mmpose's module names as mmdeploy
    /// traces the pose estimator: `backbone.stem.0.conv.weight`, `backbone.stage1.1.blocks.0.conv2.depthwise_conv.conv.weight`,
    /// `head.final_layer.weight`, `head.mlp.0.g`, `head.gau.uv.weight`, `head.cls_x.weight`, … (also under one wrapper
    /// module's attribute). BatchNorm is folded in as the weights are placed; the forward pass is the ONNX one.
    public init(torchScript file: ModelFile, context: VulkanContext) throws(ModelLoadingError) {
        self.context = context
        let path = file.path
        let layers = NamedLayers(file, context: context, architecture: "RTMPose", batchNormEpsilon: Self.batchNormEpsilon,
                                 anchor: "backbone.stem.0.conv.weight")
        var stem: [Convolution] = []
        var channels = 3
        for index in 0..<3 {
            let convolution = try layers.convolutionWithBatchNorm("backbone.stem.\(index)", inputs: channels, kernel: 3, stride: index == 0 ? 2 : 1)
            stem.append(convolution)
            channels = convolution.outputChannels
        }
        self.stem = stem
        var stages: [(Convolution, CSPLayer)] = []
        var spp: (Convolution, Convolution)?
        for index in 0..<4 {
            let stage = "backbone.stage\(index + 1)"
            let down = try layers.convolutionWithBatchNorm(stage + ".0", inputs: channels, kernel: 3, stride: 2)
            channels = down.outputChannels
            if index == 3 {
                let hidden = channels / 2
                spp = (try layers.convolutionWithBatchNorm(stage + ".1.conv1", inputs: channels, kernel: 1, outputs: hidden),
                       try layers.convolutionWithBatchNorm(stage + ".1.conv2", inputs: hidden * 4, kernel: 1, outputs: channels))
            }
            let layer = stage + (index == 3 ? ".2" : ".1")
            stages.append((down, try Self.cspLayer(layers, layer, channels: channels, addsIdentity: index < 3)))
        }
        self.stages = stages
        self.spp = spp!
        finalLayer = try layers.convolution("head.final_layer", inputs: channels, kernel: 7)
        guard finalLayer.bias != nil else { throw .unsupported(file: path, reason: "RTMPose's final layer has a bias; this one does not") }
        keypointCount = finalLayer.outputChannels

        let mlpShape = try layers.shape(of: "head.mlp.1.weight"), outputShape = try layers.shape(of: "head.gau.o.weight")
        guard mlpShape.count == 2, outputShape.count == 2, outputShape[0] == mlpShape[0] else {
            throw .unsupported(file: path, reason: "RTMPose's head.mlp.1 \(mlpShape) and head.gau.o \(outputShape) are not Linear layers of one width")
        }
        let (hidden, flatten, expansion) = (mlpShape[0], mlpShape[1], outputShape[1])
        mlp = try layers.linear("head.mlp.1", inputs: flatten, outputs: hidden)
        uv = try layers.linear("head.gau.uv", inputs: hidden)
        guard uv.outputCount > 2 * expansion else {
            throw .unsupported(file: path, reason: "RTMPose's head.gau.uv gives \(uv.outputCount) values, not u, v (\(expansion) each) and the attention base")
        }
        output = try layers.linear("head.gau.o", inputs: expansion, outputs: hidden)
        classifierX = try layers.linear("head.cls_x", inputs: hidden)
        classifierY = try layers.linear("head.cls_y", inputs: hidden)
        self.expansion = expansion
        let s = uv.outputCount - 2 * expansion
        attentionWidth = s
        inputSize = (classifierY.outputCount / 2, classifierX.outputCount / 2)
        guard inputSize.height % 32 == 0, inputSize.width % 32 == 0, (inputSize.height / 32) * (inputSize.width / 32) == flatten else {
            throw .unsupported(file: path, reason: "RTMPose's head flattens \(flatten) positions, which does not fit an input of \(inputSize.width) × \(inputSize.height)")
        }
        // ScaleNorm's learned gain `g` (its 1/√d factor is the RMS norm's own).
        mlpScale = try layers.floats("head.mlp.0.g", shape: [1])[0]
        gauScale = try layers.floats("head.gau.ln.g", shape: [1])[0]
        gamma = try layers.floats("head.gau.gamma", shape: [2, s])
        beta = try layers.floats("head.gau.beta", shape: [2, s])
        let residual = try layers.floats("head.gau.res_scale.scale", shape: [hidden])
        residualScale = try layers.onDevice { () throws(VulkanError) in try context.upload(residual, shape: [hidden], dtype: .f32) }
    }

    /// mmdet's CSPLayer by name: main_conv, short_conv, the CSPNeXt blocks `blocks.0`, `blocks.1`, … (conv1, then
    /// conv2's depthwise and pointwise convolutions), the channel attention's `attention.fc` and final_conv.
    private static func cspLayer(_ layers: NamedLayers, _ name: String, channels: Int, addsIdentity: Bool) throws(ModelLoadingError) -> CSPLayer {
        let mid = channels / 2
        let main = try layers.convolutionWithBatchNorm(name + ".main_conv", inputs: channels, kernel: 1, outputs: mid)
        let short = try layers.convolutionWithBatchNorm(name + ".short_conv", inputs: channels, kernel: 1, outputs: mid)
        var blocks: [(Convolution, Convolution, Convolution)] = []
        for index in 0..<layers.childCount(name + ".blocks", probe: "conv1.conv.weight") {
            let block = "\(name).blocks.\(index)"
            blocks.append((try layers.convolutionWithBatchNorm(block + ".conv1", inputs: mid, kernel: 3, outputs: mid),
                           try layers.convolutionWithBatchNorm(block + ".conv2.depthwise_conv", inputs: mid, kernel: 5, groups: mid, outputs: mid),
                           try layers.convolutionWithBatchNorm(block + ".conv2.pointwise_conv", inputs: mid, kernel: 1, outputs: mid)))
        }
        let attention = try layers.convolution(name + ".attention.fc", inputs: 2 * mid, kernel: 1, outputs: 2 * mid)
        guard attention.bias != nil else {
            throw .unsupported(file: layers.path, reason: "RTMPose \(name)'s channel attention has a bias; this one does not")
        }
        let final = try layers.convolutionWithBatchNorm(name + ".final_conv", inputs: 2 * mid, kernel: 1, outputs: channels)
        return CSPLayer(shortConvolution: short, mainConvolution: main, attention: attention, finalConvolution: final, blocks: blocks,
                        addsIdentity: addsIdentity)
    }
}

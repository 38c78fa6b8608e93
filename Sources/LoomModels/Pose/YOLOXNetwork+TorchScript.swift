import LoomModelFiles
import LoomVulkan

extension YOLOXNetwork {
    /// YOLOX's BaseConv: BatchNorm with epsilon 1e-3 (yolox/models/network_blocks.py).
    static let batchNormEpsilon = 1e-3

    /// The detector from a TorchScript archive (the pack's `yolox_l.torchscript.pt`), whose weights keep the module
    /// names of Megvii's code as tools/export_torchscript.py traces it: `backbone.backbone.stem.conv.conv.weight`,
    /// `backbone.backbone.dark2.1.m.0.conv1.conv.weight`, `backbone.C3_p4.conv1.conv.weight`,
    /// `head.cls_preds.0.weight`, … (also under one wrapper module's attribute). BatchNorm is folded in as the weights are
    /// placed; the forward pass is the ONNX one.
    public init(torchScript file: ModelFile, context: VulkanContext) throws(ModelLoadingError) {
        self.context = context
        let darknet = "backbone.backbone."
        let layers = NamedLayers(file, context: context, architecture: "YOLOX", batchNormEpsilon: Self.batchNormEpsilon,
                                 anchor: darknet + "stem.conv.conv.weight")
        func conv(_ module: String, inputs: Int, kernel: Int, stride: Int = 1, outputs: Int? = nil) throws(ModelLoadingError) -> Convolution {
            try layers.convolutionWithBatchNorm(module, inputs: inputs, kernel: kernel, stride: stride, outputs: outputs)
        }
        stem = try conv(darknet + "stem.conv", inputs: 12, kernel: 3)
        var channels = stem.outputChannels
        var stages: [(Convolution, CSPLayer)] = []
        var spp: (Convolution, Convolution)?
        for index in 0..<4 {
            let stage = darknet + "dark\(index + 2)"
            let down = try conv(stage + ".0", inputs: channels, kernel: 3, stride: 2, outputs: channels * 2)
            channels *= 2
            if index == 3 {
                let hidden = channels / 2
                spp = (try conv(stage + ".1.conv1", inputs: channels, kernel: 1, outputs: hidden),
                       try conv(stage + ".1.conv2", inputs: hidden * 4, kernel: 1, outputs: channels))
            }
            let layer = stage + (index == 3 ? ".2" : ".1")
            stages.append((down, try Self.cspLayer(layers, layer, inputs: channels, outputs: channels, shortcut: index < 3)))
        }
        self.stages = stages
        self.spp = spp!
        let (c3, c4, c5) = (channels / 4, channels / 2, channels)
        lateral0 = try conv("backbone.lateral_conv0", inputs: c5, kernel: 1, outputs: c4)
        p4 = try Self.cspLayer(layers, "backbone.C3_p4", inputs: 2 * c4, outputs: c4, shortcut: false)
        reduce1 = try conv("backbone.reduce_conv1", inputs: c4, kernel: 1, outputs: c3)
        p3 = try Self.cspLayer(layers, "backbone.C3_p3", inputs: 2 * c3, outputs: c3, shortcut: false)
        bottomUp2 = try conv("backbone.bu_conv2", inputs: c3, kernel: 3, stride: 2, outputs: c3)
        n3 = try Self.cspLayer(layers, "backbone.C3_n3", inputs: 2 * c3, outputs: c4, shortcut: false)
        bottomUp1 = try conv("backbone.bu_conv1", inputs: c4, kernel: 3, stride: 2, outputs: c4)
        n4 = try Self.cspLayer(layers, "backbone.C3_n4", inputs: 2 * c4, outputs: c5, shortcut: false)
        var heads: [Head] = []
        var classCount = 0
        for (level, inputs) in [c3, c4, c5].enumerated() {
            let stem = try conv("head.stems.\(level)", inputs: inputs, kernel: 1)
            let width = stem.outputChannels
            let classConvolutions = [try conv("head.cls_convs.\(level).0", inputs: width, kernel: 3, outputs: width),
                                     try conv("head.cls_convs.\(level).1", inputs: width, kernel: 3, outputs: width)]
            let classes = try layers.convolution("head.cls_preds.\(level)", inputs: width, kernel: 1)
            let regressionConvolutions = [try conv("head.reg_convs.\(level).0", inputs: width, kernel: 3, outputs: width),
                                          try conv("head.reg_convs.\(level).1", inputs: width, kernel: 3, outputs: width)]
            let regression = try layers.convolution("head.reg_preds.\(level)", inputs: width, kernel: 1, outputs: 4)
            let objectness = try layers.convolution("head.obj_preds.\(level)", inputs: width, kernel: 1, outputs: 1)
            guard classes.bias != nil, regression.bias != nil, objectness.bias != nil, level == 0 || classes.outputChannels == classCount else {
                throw .unsupported(file: file.path, reason: "YOLOX head \(level): the predictions need biases and the same classes at every level")
            }
            classCount = classes.outputChannels
            heads.append(Head(stem: stem, classConvolutions: classConvolutions, classes: classes,
                              regressionConvolutions: regressionConvolutions, regression: regression, objectness: objectness))
        }
        self.heads = heads
        self.classCount = classCount
    }

    /// A CSP layer by name: conv1, conv2, the bottlenecks `m.0`, `m.1`, … and conv3.
    private static func cspLayer(_ layers: NamedLayers, _ name: String, inputs: Int, outputs: Int, shortcut: Bool) throws(ModelLoadingError) -> CSPLayer {
        let hidden = outputs / 2
        let conv1 = try layers.convolutionWithBatchNorm(name + ".conv1", inputs: inputs, kernel: 1, outputs: hidden)
        let conv2 = try layers.convolutionWithBatchNorm(name + ".conv2", inputs: inputs, kernel: 1, outputs: hidden)
        var bottlenecks: [(Convolution, Convolution)] = []
        for index in 0..<layers.childCount(name + ".m", probe: "conv1.conv.weight") {
            let block = "\(name).m.\(index)"
            bottlenecks.append((try layers.convolutionWithBatchNorm(block + ".conv1", inputs: hidden, kernel: 1, outputs: hidden),
                                try layers.convolutionWithBatchNorm(block + ".conv2", inputs: hidden, kernel: 3, outputs: hidden)))
        }
        let conv3 = try layers.convolutionWithBatchNorm(name + ".conv3", inputs: 2 * hidden, kernel: 1, outputs: outputs)
        return CSPLayer(conv1: conv1, conv2: conv2, conv3: conv3, bottlenecks: bottlenecks, shortcut: shortcut)
    }
}

import Foundation
import LoomModelFiles
import LoomVulkan

/// Megvii's YOLOX as DWPose's `yolox_l.onnx` holds it (tools/export_onnx.py, BatchNorm folded): a CSPDarknet
/// (Focus stem, four stages of a strided convolution and a CSP layer, SPP before the last), a PAFPN neck and a
/// decoupled head per stride 8, 16, 32. Every convolution is followed by SiLU except the head's predictions.
/// Widths and the number of bottlenecks in each CSP layer come from the file (YOLOX-L: 3, 9, 9, 3 and 3).
public struct YOLOXNetwork: Sendable {
    /// What an export of this network is made of, and how many nodes of each kind it may hold.
    static let operators: Set<String> = ["Conv", "Sigmoid", "Mul", "Add", "Concat", "MaxPool", "Slice", "Resize", "Upsample",
                                          "Reshape", "Transpose", "Constant", "Shape", "Gather", "Unsqueeze", "Cast", "Identity",
                                          "Flatten", "Floor", "Div", "Squeeze"]
    public static let inputSize = 640
    public static let strides = [8, 16, 32]

    struct CSPLayer: Sendable {
        let conv1, conv2, conv3: Convolution
        let bottlenecks: [(Convolution, Convolution)]
        let shortcut: Bool
    }

    struct Head: Sendable {
        let stem: Convolution
        let classConvolutions: [Convolution]
        let classes: Convolution
        let regressionConvolutions: [Convolution]
        let regression: Convolution
        let objectness: Convolution
    }

    let context: VulkanContext
    let stem: Convolution
    /// dark2 … dark5: the strided convolution, then (dark5) the SPP's two convolutions, then the CSP layer.
    let stages: [(Convolution, CSPLayer)]
    let spp: (Convolution, Convolution)
    let lateral0, reduce1, bottomUp2, bottomUp1: Convolution
    let p4, p3, n3, n4: CSPLayer
    let heads: [Head]
    public let classCount: Int

    public init(model: ONNXModel, context: VulkanContext) throws(ModelLoadingError) {
        self.context = context
        let addCount = model.operatorCounts["Add", default: 0]
        var layers = try ONNXLayerSequence(model, context: context, architecture: "YOLOX", operators: Self.operators)
        guard model.inputs.count == 1, model.outputs.count == 1 else {
            throw .unsupported(file: model.path, reason: "YOLOX has one input and one output; this graph has \(model.inputs.count) and \(model.outputs.count)")
        }
        guard let first = layers.peek(), first.inputs == 12, first.kernel == 3 else {
            throw .unsupported(file: model.path, reason: "YOLOX starts with a Focus stem (a 3×3 convolution of 12 channels); this graph does not")
        }
        stem = try layers.convolution("stem", inputs: 12, kernel: 3)
        var channels = stem.outputChannels
        var stages: [(Convolution, CSPLayer)] = []
        var spp: (Convolution, Convolution)?
        for index in 0..<4 {
            let name = "dark\(index + 2)"
            let down = try layers.convolution("\(name) downsampling", inputs: channels, kernel: 3, stride: 2, outputs: channels * 2)
            channels *= 2
            if index == 3 {
                let hidden = channels / 2
                spp = (try layers.convolution("SPP conv1", inputs: channels, kernel: 1, outputs: hidden),
                       try layers.convolution("SPP conv2", inputs: hidden * 4, kernel: 1, outputs: channels))
            }
            stages.append((down, try Self.cspLayer(&layers, name, inputs: channels, outputs: channels, shortcut: index < 3)))
        }
        self.stages = stages
        self.spp = spp!
        let (c3, c4, c5) = (channels / 4, channels / 2, channels)
        lateral0 = try layers.convolution("lateral_conv0", inputs: c5, kernel: 1, outputs: c4)
        p4 = try Self.cspLayer(&layers, "C3_p4", inputs: 2 * c4, outputs: c4, shortcut: false)
        reduce1 = try layers.convolution("reduce_conv1", inputs: c4, kernel: 1, outputs: c3)
        p3 = try Self.cspLayer(&layers, "C3_p3", inputs: 2 * c3, outputs: c3, shortcut: false)
        bottomUp2 = try layers.convolution("bu_conv2", inputs: c3, kernel: 3, stride: 2, outputs: c3)
        n3 = try Self.cspLayer(&layers, "C3_n3", inputs: 2 * c3, outputs: c4, shortcut: false)
        bottomUp1 = try layers.convolution("bu_conv1", inputs: c4, kernel: 3, stride: 2, outputs: c4)
        n4 = try Self.cspLayer(&layers, "C3_n4", inputs: 2 * c4, outputs: c5, shortcut: false)
        var heads: [Head] = []
        var classCount = 0
        for (level, inputs) in [c3, c4, c5].enumerated() {
            // Each prediction must read its own branch: stem → cls_convs → cls_preds, stem → reg_convs → reg_preds, obj_preds.
            let s = layers.position
            let edges = [(s + 1, s), (s + 2, s + 1), (s + 3, s + 2), (s + 4, s), (s + 5, s + 4), (s + 6, s + 5), (s + 7, s + 5)]
            for (consumer, producer) in edges where !layers.reads(consumer, from: producer) {
                throw layers.mismatch("head level \(level)'s convolution \(consumer - s) does not read convolution \(producer - s)")
            }
            let stem = try layers.convolution("head stem \(level)", inputs: inputs, kernel: 1)
            let width = stem.outputChannels
            let classConvolutions = [try layers.convolution("head cls_convs \(level).0", inputs: width, kernel: 3, outputs: width),
                                     try layers.convolution("head cls_convs \(level).1", inputs: width, kernel: 3, outputs: width)]
            let classes = try layers.convolution("head cls_preds \(level)", inputs: width, kernel: 1)
            let regressionConvolutions = [try layers.convolution("head reg_convs \(level).0", inputs: width, kernel: 3, outputs: width),
                                          try layers.convolution("head reg_convs \(level).1", inputs: width, kernel: 3, outputs: width)]
            let regression = try layers.convolution("head reg_preds \(level)", inputs: width, kernel: 1, outputs: 4)
            let objectness = try layers.convolution("head obj_preds \(level)", inputs: width, kernel: 1, outputs: 1)
            guard classes.bias != nil, regression.bias != nil, objectness.bias != nil, level == 0 || classes.outputChannels == classCount else {
                throw .unsupported(file: model.path, reason: "YOLOX head \(level): the predictions need biases and the same classes at every level")
            }
            classCount = classes.outputChannels
            heads.append(Head(stem: stem, classConvolutions: classConvolutions, classes: classes,
                              regressionConvolutions: regressionConvolutions, regression: regression, objectness: objectness))
        }
        self.heads = heads
        self.classCount = classCount
        try layers.finish()
        let shortcuts = stages.prefix(3).reduce(0) { $0 + $1.1.bottlenecks.count }
        guard addCount == shortcuts else {
            throw .unsupported(file: model.path, reason: "the graph has \(addCount) Add nodes where YOLOX's residual bottlenecks need \(shortcuts); it is a different network")
        }
    }

    /// A CSP layer: conv1 and conv2 (1×1 to half the output width), bottlenecks (1×1 then 3×3) on conv1's
    /// branch for as long as the graph has them, and conv3 (1×1) on the two branches side by side.
    static func cspLayer(_ layers: inout ONNXLayerSequence, _ name: String, inputs: Int, outputs: Int, shortcut: Bool) throws(ModelLoadingError) -> CSPLayer {
        let hidden = outputs / 2
        let first = layers.position
        let conv1 = try layers.convolution("\(name) conv1", inputs: inputs, kernel: 1, outputs: hidden)
        let conv2 = try layers.convolution("\(name) conv2", inputs: inputs, kernel: 1, outputs: hidden)
        var bottlenecks: [(Convolution, Convolution)] = []
        while let next = layers.peek(), next.kernel == 1, next.inputs == hidden, next.outputs == hidden, bottlenecks.count < 64 {
            bottlenecks.append((try layers.convolution("\(name) m.\(bottlenecks.count).conv1", inputs: hidden, kernel: 1, outputs: hidden),
                                try layers.convolution("\(name) m.\(bottlenecks.count).conv2", inputs: hidden, kernel: 3, outputs: hidden)))
        }
        // conv1's branch goes through the bottlenecks and comes first in the concatenation, conv2's second.
        guard bottlenecks.isEmpty || layers.reads(first + 2, from: first), layers.concatenationPlace(of: first + 1) == 1 else {
            throw layers.mismatch("\(name)'s branches are not conv1 → bottlenecks and conv2, joined in that order")
        }
        let conv3 = try layers.convolution("\(name) conv3", inputs: 2 * hidden, kernel: 1, outputs: outputs)
        return CSPLayer(conv1: conv1, conv2: conv2, conv3: conv3, bottlenecks: bottlenecks, shortcut: shortcut)
    }

    /// The network's output for a [1, 3, 640, 640] input (values 0…255, channel order as given): per anchor
    /// (stride 8 rows first, then 16, 32; row-major within each), [x, y, log w, log h offsets, objectness, classes…]
    /// with sigmoids applied to objectness and classes, as the export's "output" [1, anchors, 5 + classes].
    public func callAsFunction(_ input: HostTensor) throws -> HostTensor {
        guard input.shape == [1, 3, Self.inputSize, Self.inputSize] else {
            throw PoseEstimationError.invalidInput("YOLOX takes [1, 3, 640, 640], got \(input.shape)")
        }
        let recorder = try context.makeRecorder()
        func act(_ convolution: Convolution, _ x: Tensor) throws -> Tensor { try recorder.silu(convolution(x, on: recorder)) }
        func csp(_ layer: CSPLayer, _ x: Tensor) throws -> Tensor {
            var main = try act(layer.conv1, x)
            let short = try act(layer.conv2, x)
            for (first, second) in layer.bottlenecks {
                let y = try act(second, act(first, main))
                main = layer.shortcut ? try recorder.add(y, main) : y
            }
            return try act(layer.conv3, recorder.concatenate([main, short], axis: 1))
        }
        var x = try act(stem, context.upload(Self.focus(input), shape: [1, 12, Self.inputSize / 2, Self.inputSize / 2]))
        var features: [Tensor] = []
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
            if index >= 1 { features.append(x) }
            try recorder.submit()
        }
        let fpn0 = try act(lateral0, features[2])
        let f0 = try csp(p4, recorder.concatenate([recorder.upsampled2x(fpn0), features[1]], axis: 1))
        let fpn1 = try act(reduce1, f0)
        let pan2 = try csp(p3, recorder.concatenate([recorder.upsampled2x(fpn1), features[0]], axis: 1))
        let pan1 = try csp(n3, recorder.concatenate([act(bottomUp2, pan2), fpn1], axis: 1))
        let pan0 = try csp(n4, recorder.concatenate([act(bottomUp1, pan1), fpn0], axis: 1))
        try recorder.submit()
        var levels: [Tensor] = []
        for (head, feature) in zip(heads, [pan2, pan1, pan0]) {
            let stem = try act(head.stem, feature)
            let classes = try head.classes(act(head.classConvolutions[1], act(head.classConvolutions[0], stem)), on: recorder)
            let regressionFeature = try act(head.regressionConvolutions[1], act(head.regressionConvolutions[0], stem))
            let regression = try head.regression(regressionFeature, on: recorder)
            let objectness = try head.objectness(regressionFeature, on: recorder)
            levels.append(try recorder.concatenate([regression, objectness, classes], axis: 1))
        }
        try recorder.submit()
        let width = 5 + classCount
        var anchors: [Float] = []
        for level in levels {
            let values = try context.download(level)
            let plane = level.shape[2] * level.shape[3]
            for position in 0..<plane {
                for channel in 0..<width {
                    let value = values[channel * plane + position]
                    anchors.append(channel < 4 ? value : 1 / (1 + exp(-value)))
                }
            }
        }
        return HostTensor(shape: [1, anchors.count / width, width], values: anchors)
    }

    /// The Focus stem's space-to-depth: the even/even, odd/even, even/odd and odd/odd pixels (row/column) as
    /// four groups of channels.
    static func focus(_ input: HostTensor) -> [Float] {
        let size = inputSize, half = inputSize / 2
        var values = [Float](repeating: 0, count: 12 * half * half)
        for (group, (dy, dx)) in [(0, 0), (1, 0), (0, 1), (1, 1)].enumerated() {
            for channel in 0..<3 {
                let target = (group * 3 + channel) * half * half, source = channel * size * size
                for y in 0..<half {
                    for x in 0..<half {
                        values[target + y * half + x] = input.values[source + (2 * y + dy) * size + 2 * x + dx]
                    }
                }
            }
        }
        return values
    }
}

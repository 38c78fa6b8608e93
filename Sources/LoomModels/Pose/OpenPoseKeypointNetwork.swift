import LoomModelFiles
import LoomVulkan

/// What the hand and face estimators need from a network: heatmaps for an image crop.
public protocol KeypointHeatmapNetwork: Sendable {
    /// `input` is [1, 3, H, W] (BGR, x/256 − 0.5); the result is the last stage's [1, parts, H/8, W/8].
    func heatmaps(_ input: HostTensor) throws -> HostTensor
}

/// The single-branch OpenPose networks: lllyasviel's `hand_pose_model.pth` (22 heatmaps: 21 hand points and
/// the background) and `facenet.pth` (71: 70 face points and the background). Both are a VGG front
/// (`conv1_1` … `conv5_3_CPM`), a first stage (`conv6_1_CPM`, `conv6_2_CPM`) and refinement stages
/// (`Mconv1…7_stage{t}`) that each see the previous heatmaps beside the features. Widths and the number of
/// stages come from the file (the real ones have 6).
public struct OpenPoseKeypointNetwork: KeypointHeatmapNetwork {
    public enum Kind: Sendable, Hashable {
        case hand, face

        public var heatmapChannels: Int { self == .hand ? 22 : 71 }
        var fileName: String { self == .hand ? "hand_pose_model.pth" : "facenet.pth" }
    }

    public let kind: Kind
    let context: VulkanContext
    let features: ConvolutionChain
    let stages: [ConvolutionChain]

    public var stageCount: Int { stages.count }

    public init(weights: ModelWeights, kind: Kind) throws(ModelLoadingError) {
        guard weights.contains("conv1_1.weight"), weights.contains("conv6_2_CPM.weight") else {
            throw .unsupported(file: weights.file.path, reason: "not an OpenPose \(kind) model (expected conv1_1.weight and conv6_2_CPM.weight, as in \(kind.fileName))")
        }
        self.kind = kind
        context = weights.context
        let vgg: [ConvolutionChain.Layer] = ConvolutionChain.Layer.openPoseStem + [
            .convolution("conv4_1", kernel: 3, relu: true), .convolution("conv4_2", kernel: 3, relu: true),
            .convolution("conv4_3", kernel: 3, relu: true), .convolution("conv4_4", kernel: 3, relu: true),
            .convolution("conv5_1", kernel: 3, relu: true), .convolution("conv5_2", kernel: 3, relu: true),
            .convolution("conv5_3_CPM", kernel: 3, relu: true),
        ]
        features = try ConvolutionChain(weights, vgg, inputChannels: 3)
        let featureChannels = features.outputChannels
        var stages = [try ConvolutionChain(weights, [.convolution("conv6_1_CPM", kernel: 1, relu: true),
                                                     .convolution("conv6_2_CPM", kernel: 1, relu: false)],
                                           inputChannels: featureChannels)]
        var stage = 2
        while weights.contains("Mconv1_stage\(stage).weight") {
            let layers: [ConvolutionChain.Layer] = (1...5).map { .convolution("Mconv\($0)_stage\(stage)", kernel: 7, relu: true) } + [
                .convolution("Mconv6_stage\(stage)", kernel: 1, relu: true),
                .convolution("Mconv7_stage\(stage)", kernel: 1, relu: false),
            ]
            stages.append(try ConvolutionChain(weights, layers, inputChannels: kind.heatmapChannels + featureChannels))
            stage += 1
        }
        for chain in stages where chain.outputChannels != kind.heatmapChannels {
            throw .unsupported(file: weights.file.path, reason: "an OpenPose \(kind) stage gives \(chain.outputChannels) heatmaps, not \(kind.heatmapChannels)")
        }
        self.stages = stages
    }

    public func heatmaps(_ input: HostTensor) throws -> HostTensor {
        guard input.rank == 4, input.shape[0] == 1, input.shape[1] == 3, input.shape[2] >= 8, input.shape[3] >= 8 else {
            throw PoseEstimationError.invalidInput("the OpenPose \(kind) network takes [1, 3, H, W] with H, W ≥ 8, got \(input.shape)")
        }
        let recorder = try context.makeRecorder()
        let features = try self.features(context.upload(input.values, shape: input.shape), on: recorder)
        var heatmaps = try stages[0](features, on: recorder)
        for stage in stages.dropFirst() {
            try recorder.submit()
            heatmaps = try stage(recorder.concatenate([heatmaps, features], axis: 1), on: recorder)
        }
        try recorder.submit()
        return HostTensor(shape: heatmaps.shape, values: try context.download(heatmaps))
    }
}

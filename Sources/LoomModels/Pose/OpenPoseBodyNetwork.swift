import LoomModelFiles
import LoomVulkan

/// What the body estimator needs from a network: part affinity fields and heatmaps for an image.
public protocol BodyPoseNetwork: Sendable {
    /// `input` is [1, 3, H, W] (BGR, x/256 − 0.5, H and W multiples of 8); the result is [1, 38, H/8, W/8]
    /// part affinity fields and [1, 19, H/8, W/8] heatmaps (18 parts and the background).
    func affinitiesAndHeatmaps(_ input: HostTensor) throws -> (affinities: HostTensor, heatmaps: HostTensor)
}

/// The CMU OpenPose body network of lllyasviel's `body_pose_model.pth`: a VGG-19 front (`conv1_1` …
/// `conv4_4_CPM`), a first stage of two branches (`conv5_*_CPM_L1` for the fields, `_L2` for the heatmaps) and
/// refinement stages (`Mconv1…7_stage{t}_L1/L2`) that each see both branches' output beside the features.
/// Widths and the number of stages come from the file (the real one has 6).
public struct OpenPoseBodyNetwork: BodyPoseNetwork {
    public static let affinityChannels = 38
    public static let heatmapChannels = 19

    let context: VulkanContext
    let features: ConvolutionChain
    /// Per stage, the affinity branch and the heatmap branch.
    let stages: [(affinities: ConvolutionChain, heatmaps: ConvolutionChain)]

    public var stageCount: Int { stages.count }

    public init(weights: ModelWeights) throws(ModelLoadingError) {
        guard weights.contains("conv1_1.weight"), weights.contains("conv5_5_CPM_L1.weight") else {
            throw .unsupported(file: weights.file.path, reason: "not an OpenPose body model (expected conv1_1.weight and conv5_5_CPM_L1.weight, as in body_pose_model.pth)")
        }
        context = weights.context
        let vgg: [ConvolutionChain.Layer] = ConvolutionChain.Layer.openPoseStem + [
            .convolution("conv4_1", kernel: 3, relu: true), .convolution("conv4_2", kernel: 3, relu: true),
            .convolution("conv4_3_CPM", kernel: 3, relu: true), .convolution("conv4_4_CPM", kernel: 3, relu: true),
        ]
        features = try ConvolutionChain(weights, vgg, inputChannels: 3)
        let featureChannels = features.outputChannels
        var stages: [(affinities: ConvolutionChain, heatmaps: ConvolutionChain)] = []
        func firstStage(_ branch: String) -> [ConvolutionChain.Layer] {
            [.convolution("conv5_1_CPM_\(branch)", kernel: 3, relu: true), .convolution("conv5_2_CPM_\(branch)", kernel: 3, relu: true),
             .convolution("conv5_3_CPM_\(branch)", kernel: 3, relu: true), .convolution("conv5_4_CPM_\(branch)", kernel: 1, relu: true),
             .convolution("conv5_5_CPM_\(branch)", kernel: 1, relu: false)]
        }
        stages.append((try ConvolutionChain(weights, firstStage("L1"), inputChannels: featureChannels),
                       try ConvolutionChain(weights, firstStage("L2"), inputChannels: featureChannels)))
        var stage = 2
        while weights.contains("Mconv1_stage\(stage)_L1.weight") {
            func refinement(_ branch: String) -> [ConvolutionChain.Layer] {
                (1...5).map { .convolution("Mconv\($0)_stage\(stage)_\(branch)", kernel: 7, relu: true) } + [
                    .convolution("Mconv6_stage\(stage)_\(branch)", kernel: 1, relu: true),
                    // The annotator's list of layers without ReLU names Mconv7_stage6_L1 twice and never
                    // Mconv7_stage6_L2, so the last heatmaps are rectified.
                    .convolution("Mconv7_stage\(stage)_\(branch)", kernel: 1, relu: stage == 6 && branch == "L2"),
                ]
            }
            let inputs = Self.affinityChannels + Self.heatmapChannels + featureChannels
            stages.append((try ConvolutionChain(weights, refinement("L1"), inputChannels: inputs),
                           try ConvolutionChain(weights, refinement("L2"), inputChannels: inputs)))
            stage += 1
        }
        for (affinities, heatmaps) in stages {
            guard affinities.outputChannels == Self.affinityChannels, heatmaps.outputChannels == Self.heatmapChannels else {
                throw .unsupported(file: weights.file.path, reason: "an OpenPose body stage gives \(affinities.outputChannels) affinity and \(heatmaps.outputChannels) heatmap channels, not \(Self.affinityChannels) and \(Self.heatmapChannels)")
            }
        }
        self.stages = stages
    }

    public func affinitiesAndHeatmaps(_ input: HostTensor) throws -> (affinities: HostTensor, heatmaps: HostTensor) {
        guard input.rank == 4, input.shape[0] == 1, input.shape[1] == 3, input.shape[2] >= 8, input.shape[3] >= 8 else {
            throw PoseEstimationError.invalidInput("the OpenPose body network takes [1, 3, H, W] with H, W ≥ 8, got \(input.shape)")
        }
        let recorder = try context.makeRecorder()
        let features = try self.features(context.upload(input.values, shape: input.shape), on: recorder)
        var stageInput = features
        var outputs: (Tensor, Tensor)?
        for (index, stage) in stages.enumerated() {
            let affinities = try stage.affinities(stageInput, on: recorder)
            let heatmaps = try stage.heatmaps(stageInput, on: recorder)
            outputs = (affinities, heatmaps)
            if index + 1 < stages.count {
                stageInput = try recorder.concatenate([affinities, heatmaps, features], axis: 1)
            }
            try recorder.submit()
        }
        guard let (affinities, heatmaps) = outputs else { throw PoseEstimationError.invalidInput("the network has no stages") }
        return (HostTensor(shape: affinities.shape, values: try context.download(affinities)),
                HostTensor(shape: heatmaps.shape, values: try context.download(heatmaps)))
    }
}

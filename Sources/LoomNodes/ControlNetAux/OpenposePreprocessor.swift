import LoomGraph
import LoomImaging
import LoomModelFiles
import LoomModels

/// comfyui_controlnet_aux's "OpenPose Pose": CMU OpenPose (lllyasviel's annotator weights) on each image at
/// the detection resolution, drawn as the ControlNet pose map (at that resolution, as the pack returns it),
/// and the POSE_KEYPOINT dicts. The networks run on the device and are released after the node runs.
/// Unlike the pack, which loads all three checkpoints whatever is enabled, only the needed ones are read.
public struct OpenposePreprocessor: Node {
    public static let schema = NodeSchema(
        name: "OpenposePreprocessor", displayName: "OpenPose Pose", category: "ControlNet Preprocessors/Faces and Poses Estimators",
        inputs: [
            .link("image", "IMAGE"),
            .combo("detect_hand", ["enable", "disable"], default: "enable", section: .optional),
            .combo("detect_body", ["enable", "disable"], default: "enable", section: .optional),
            .combo("detect_face", ["enable", "disable"], default: "enable", section: .optional),
            .int("resolution", default: 512, min: 64, max: 16384, step: 64, section: .optional),
            .combo("scale_stick_for_xinsr_cn", ["disable", "enable"], default: "disable", section: .optional),
        ],
        outputs: [OutputSpec("IMAGE"), OutputSpec(PoseKeypointDocument.typeName)],
        pythonModule: "custom_nodes.comfyui_controlnet_aux")

    public init() {}

    /// The checkpoints' contents: replacing a file re-runs the node.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        .value([AnnotatorCheckpoint.openPoseBody, .openPoseHand, .openPoseFace].map { $0.fingerprint(resources) }.joined(separator: "|"))
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let image = try inputs("image", as: Image.self)
        let options = try PoseAnnotatorRun.options(inputs)
        try PoseAnnotatorRun.checkMapSize(of: image, options: options, node: node, context: context)

        let detector = try loadDetector(options, resources: context.resources)
        return try PoseAnnotatorRun.result(of: image, node: node) { frame in
            let detection = try detector.detect(frame, options: options)
            return (detection.map, detection.people, detection.canvasHeight, detection.canvasWidth)
        }
    }

    /// The body network, and the hand and face networks when they are enabled, from their checkpoints.
    func loadDetector(_ options: PoseDetectionOptions, resources: Resources) throws -> OpenPoseDetector {
        let node = Self.schema.name
        let context = try resources.computeDevice.context()
        func weights(_ checkpoint: AnnotatorCheckpoint) throws -> ModelWeights {
            let path = try checkpoint.locate(resources, node: node)
            do {
                return ModelWeights(file: try ModelFile.open(path: path), context: context)
            } catch {
                throw NodeError(node, "\(checkpoint.name): \(error)")
            }
        }
        func load<Network>(_ checkpoint: AnnotatorCheckpoint, _ make: (ModelWeights) throws -> Network) throws -> Network {
            let file = try weights(checkpoint)
            do { return try make(file) } catch { throw NodeError(node, "\(checkpoint.name): \(error)") }
        }
        let body = try load(.openPoseBody) { try OpenPoseBodyNetwork(weights: $0) }
        let hand = options.hands ? try load(.openPoseHand) { try OpenPoseKeypointNetwork(weights: $0, kind: .hand) } : nil
        let face = options.face ? try load(.openPoseFace) { try OpenPoseKeypointNetwork(weights: $0, kind: .face) } : nil
        return OpenPoseDetector(body: BodyPoseEstimator(network: body), hand: hand.map { HandPoseEstimator(network: $0) },
                                face: face.map { FacePoseEstimator(network: $0) })
    }
}

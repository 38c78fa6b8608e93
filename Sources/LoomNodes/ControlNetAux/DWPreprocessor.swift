import LoomGraph
import LoomImaging
import LoomModelFiles
import LoomModels

/// comfyui_controlnet_aux's "DWPose Estimator": YOLOX person boxes and RTMPose whole-body points (DWPose's ONNX
/// models or the pack's TorchScript ones, only their weights read, run as Loom's own networks on the device), drawn
/// in the OpenPose style at the image's size and resized so the short side is `resolution`, plus the POSE_KEYPOINT
/// dicts (pixel coordinates, canvas = the image's size), as the pack returns them. The YOLO-NAS detectors, which
/// the pack also offers, are refused by name.
public struct DWPreprocessor: Node {
    static let detectors = ["None", "yolox_l.torchscript.pt", "yolox_l.onnx", "yolo_nas_l_fp16.onnx", "yolo_nas_m_fp16.onnx", "yolo_nas_s_fp16.onnx"]
    static let estimators = ["dw-ll_ucoco_384_bs5.torchscript.pt", "dw-ll_ucoco_384.onnx", "dw-ll_ucoco.onnx"]

    public static let schema = NodeSchema(
        name: "DWPreprocessor", displayName: "DWPose Estimator", category: "ControlNet Preprocessors/Faces and Poses Estimators",
        inputs: [
            .link("image", "IMAGE"),
            .combo("detect_hand", ["enable", "disable"], default: "enable", section: .optional),
            .combo("detect_body", ["enable", "disable"], default: "enable", section: .optional),
            .combo("detect_face", ["enable", "disable"], default: "enable", section: .optional),
            .int("resolution", default: 512, min: 64, max: 16384, step: 64, section: .optional),
            .combo("bbox_detector", detectors, default: "yolox_l.onnx", section: .optional),
            .combo("pose_estimator", estimators, default: "dw-ll_ucoco_384_bs5.torchscript.pt", section: .optional),
            .combo("scale_stick_for_xinsr_cn", ["disable", "enable"], default: "disable", section: .optional),
        ],
        outputs: [OutputSpec("IMAGE"), OutputSpec(PoseKeypointDocument.typeName)],
        pythonModule: "custom_nodes.comfyui_controlnet_aux")

    public init() {}

    /// Where the pack downloads each file from (`DWPose_Preprocessor.estimate_pose`).
    static func checkpoint(detector name: String) -> AnnotatorCheckpoint? {
        switch name {
        case "None": nil
        case "yolox_l.onnx": AnnotatorCheckpoint(repository: "yzd-v/DWPose", name: name)
        case _ where name.contains("yolox"): AnnotatorCheckpoint(repository: "hr16/yolox-onnx", name: name)
        default: AnnotatorCheckpoint(repository: "hr16/yolo-nas-fp16", name: name)
        }
    }

    static func checkpoint(estimator name: String) -> AnnotatorCheckpoint {
        if name == "dw-ll_ucoco_384.onnx" { return AnnotatorCheckpoint(repository: "yzd-v/DWPose", name: name) }
        if name.hasSuffix(".onnx") { return AnnotatorCheckpoint(repository: "hr16/UnJIT-DWPose", name: name) }
        return AnnotatorCheckpoint(repository: "hr16/DWPose-TorchScript-BatchSize5", name: name)
    }

    static func models(_ inputs: NodeInputs) throws -> (detector: String, estimator: String) {
        (try inputs.optional("bbox_detector", as: String.self) ?? "yolox_l.onnx",
         try inputs.optional("pose_estimator", as: String.self) ?? "dw-ll_ucoco_384_bs5.torchscript.pt")
    }

    /// The chosen files' contents: replacing one re-runs the node.
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        let (detector, estimator) = try models(inputs)
        return .value([checkpoint(detector: detector)?.fingerprint(resources) ?? "none", checkpoint(estimator: estimator).fingerprint(resources)]
            .joined(separator: "|"))
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let image = try inputs("image", as: Image.self)
        let options = try PoseAnnotatorRun.options(inputs)
        try PoseAnnotatorRun.checkMapSize(of: image, options: options, node: node, context: context)

        let detector = try loadDetector(try Self.models(inputs), resources: context.resources)
        return try PoseAnnotatorRun.result(of: image, node: node) { frame in
            let detection = try detector.detect(frame, options: options)
            return (detection.map, detection.people, detection.canvasHeight, detection.canvasWidth)
        }
    }

    /// The two networks from their files; kinds of file Loom does not run are refused before anything is read.
    func loadDetector(_ models: (detector: String, estimator: String), resources: Resources) throws -> DWPoseDetector {
        let node = Self.schema.name
        if models.detector.hasPrefix("yolo_nas") {
            throw NodeError(node, "bbox_detector: \(models.detector) (YOLO-NAS) is not supported by Loom; choose yolox_l.onnx or yolox_l.torchscript.pt (YOLOX-L), or None")
        }
        let context = try resources.computeDevice.context()
        // As in the pack, the name decides: ONNX files end in .onnx, anything else is a TorchScript archive.
        func load<Network>(_ checkpoint: AnnotatorCheckpoint, onnx: (ONNXModel) throws -> Network,
                           torchScript: (ModelFile) throws -> Network) throws -> Network {
            let path = try checkpoint.locate(resources, node: node)
            do {
                if checkpoint.name.hasSuffix(".onnx") { return try onnx(try ONNXModel.open(path: path)) }
                let file = try ModelFile.open(path: path)
                guard file.format == .torchScript else {
                    throw NodeError(node, "\(checkpoint.name) is a \(file.format.rawValue) file, not a TorchScript archive (torch.jit.save)")
                }
                return try torchScript(file)
            } catch let error as NodeError {
                throw error
            } catch {
                throw NodeError(node, "\(checkpoint.name): \(error)")
            }
        }
        let detector = try Self.checkpoint(detector: models.detector).map { checkpoint in
            try load(checkpoint, onnx: { try YOLOXNetwork(model: $0, context: context) },
                     torchScript: { try YOLOXNetwork(torchScript: $0, context: context) })
        }
        let estimator = try load(Self.checkpoint(estimator: models.estimator), onnx: { try RTMPoseNetwork(model: $0, context: context) },
                                 torchScript: { try RTMPoseNetwork(torchScript: $0, context: context) })
        return DWPoseDetector(detector: detector, estimator: estimator)
    }
}

import LoomGraph
import LoomImaging
import LoomModelFiles
import LoomModels

/// comfyui_controlnet_aux's "DWPose Estimator": YOLOX person boxes and RTMPose whole-body points (DWPose's ONNX
/// models, read by Loom's ONNX reader and run as Loom's own networks on the device), drawn in the OpenPose style at
/// the image's size and resized so the short side is `resolution`, plus the POSE_KEYPOINT dicts (pixel
/// coordinates, canvas = the image's size), as the pack returns them. TorchScript and YOLO-NAS files, which the
/// pack also offers, are refused by name.
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
        func enabled(_ name: String, default value: String) throws -> Bool {
            try (inputs.optional(name, as: String.self) ?? value) == "enable"
        }
        // The pack falls back to 512 below 64.
        let requested = try inputs.optional("resolution", as: Int.self) ?? 512
        let options = DWPoseDetector.Options(
            resolution: requested >= 64 ? requested : 512, body: try enabled("detect_body", default: "enable"),
            hands: try enabled("detect_hand", default: "enable"), face: try enabled("detect_face", default: "enable"),
            scaleSticksForXinsir: try enabled("scale_stick_for_xinsr_cn", default: "disable"))
        guard image.batchCount > 0, image.height > 0, image.width > 0 else { throw NodeError(node, "image: the batch is empty") }
        let scale = Double(options.resolution) / Double(min(image.height, image.width))
        let mapHeight = (Double(image.height) * scale).rounded(), mapWidth = (Double(image.width) * scale).rounded()
        guard mapHeight * mapWidth <= Double(Int32.max) else {
            throw NodeError(node, "resolution: \(options.resolution) would make a \(image.width)×\(image.height) image \(mapWidth)×\(mapHeight) pixels")
        }
        try context.resources.limits.checkImage(width: Int(mapWidth) + 63, height: Int(mapHeight) + 63, batch: image.batchCount,
                                                node: node, inputs: "image, resolution")

        let detector = try loadDetector(try Self.models(inputs), resources: context.resources)
        var maps: [Image] = [], documents: [JSONValue] = []
        for frame in 0..<image.batchCount {
            do {
                let detection = try detector.detect(ByteImage(frame: frame, of: image), options: options)
                maps.append(detection.map.unitImage)
                documents.append(PoseKeypointDocument.document(people: detection.people, canvasHeight: detection.canvasHeight,
                                                               canvasWidth: detection.canvasWidth))
            } catch let error as PoseEstimationError {
                throw NodeError(node, "image \(frame): \(error)")
            }
        }
        let list = JSONValue.array(documents)
        return NodeResult([Image.concatenating(maps), list], ui: ["openpose_json": .array([.string(list.jsonText(indent: 4))])])
    }

    /// The two networks from their files; kinds of file Loom does not run are refused before anything is read.
    func loadDetector(_ models: (detector: String, estimator: String), resources: Resources) throws -> DWPoseDetector {
        let node = Self.schema.name
        if models.detector.hasSuffix(".torchscript.pt") || models.detector.hasPrefix("yolo_nas") {
            throw NodeError(node, "bbox_detector: \(models.detector) is not supported by Loom (only the ONNX YOLOX detector yolox_l.onnx, or None, are); choose yolox_l.onnx")
        }
        if models.estimator.hasSuffix(".torchscript.pt") {
            throw NodeError(node, "pose_estimator: \(models.estimator) is a TorchScript model, which Loom does not run; choose dw-ll_ucoco_384.onnx (the same network as ONNX)")
        }
        let context = try resources.computeDevice.context()
        func load<Network>(_ checkpoint: AnnotatorCheckpoint, _ make: (ONNXModel) throws -> Network) throws -> Network {
            let path = try checkpoint.locate(resources, node: node)
            do { return try make(try ONNXModel.open(path: path)) } catch { throw NodeError(node, "\(checkpoint.name): \(error)") }
        }
        let detector = try Self.checkpoint(detector: models.detector).map { checkpoint in
            try load(checkpoint) { try YOLOXNetwork(model: $0, context: context) }
        }
        let estimator = try load(Self.checkpoint(estimator: models.estimator)) { try RTMPoseNetwork(model: $0, context: context) }
        return DWPoseDetector(detector: detector, estimator: estimator)
    }
}

import LoomGraph
import LoomImaging
import LoomModels

/// What the pack's pose annotator nodes share: their common inputs, the map size they would allocate, and one
/// detection per image of the batch gathered into IMAGE and POSE_KEYPOINT.
enum PoseAnnotatorRun {
    /// The enable/disable combos and the resolution, which the pack raises to 512 below 64.
    static func options(_ inputs: NodeInputs) throws -> PoseDetectionOptions {
        func enabled(_ name: String, default value: String) throws -> Bool {
            try (inputs.optional(name, as: String.self) ?? value) == "enable"
        }
        let requested = try inputs.optional("resolution", as: Int.self) ?? 512
        return PoseDetectionOptions(
            resolution: requested >= 64 ? requested : 512, body: try enabled("detect_body", default: "enable"),
            hands: try enabled("detect_hand", default: "enable"), face: try enabled("detect_face", default: "enable"),
            scaleSticksForXinsir: try enabled("scale_stick_for_xinsr_cn", default: "disable"))
    }

    /// Refuses an empty batch, and a resolution whose map (short side at the resolution, padded to 64) would pass
    /// the image limits or the prompt's memory.
    static func checkMapSize(of image: Image, options: PoseDetectionOptions, node: String, context: NodeContext) throws {
        guard image.batchCount > 0, image.height > 0, image.width > 0 else { throw NodeError(node, "image: the batch is empty") }
        let scale = Double(options.resolution) / Double(min(image.height, image.width))
        let height = (Double(image.height) * scale).rounded(), width = (Double(image.width) * scale).rounded()
        guard height * width <= Double(Int32.max) else {
            throw NodeError(node, "resolution: \(options.resolution) would make a \(image.width)×\(image.height) image \(width)×\(height) pixels")
        }
        try context.budget.checkImage(width: Int(width) + 63, height: Int(height) + 63, batch: image.batchCount,
                                      node: node, inputs: "image, resolution")
    }

    /// Runs `detect` on each image and returns the maps, the POSE_KEYPOINT list and the UI's `openpose_json`.
    static func result(of image: Image, node: String,
                       detect: (ByteImage) throws -> (map: ByteImage, people: [PersonPose], canvasHeight: Int, canvasWidth: Int)) throws -> NodeResult {
        var maps: [Image] = [], documents: [JSONValue] = []
        for frame in 0..<image.batchCount {
            do {
                let detection = try detect(ByteImage(frame: frame, of: image))
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
}

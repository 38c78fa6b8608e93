import LoomGraph
import LoomImaging
import LoomModels

/// comfyui_controlnet_aux's "Render Pose JSON (Human)": the first POSE_KEYPOINT dict drawn on black at its canvas
/// size, as the pack's dwpose drawing code does (points taken as pixels when a part's are not all within ±1).
public struct RenderPeopleKps: CPUNode {
    public static let schema = NodeSchema(
        name: "RenderPeopleKps", displayName: "Render Pose JSON (Human)", category: "ControlNet Preprocessors/Pose Keypoint Postprocess",
        inputs: [
            .link("kps", PoseKeypointDocument.typeName),
            .boolean("render_body", default: true),
            .boolean("render_hand", default: true),
            .boolean("render_face", default: true),
        ],
        outputs: [OutputSpec("IMAGE")],
        pythonModule: "custom_nodes.comfyui_controlnet_aux")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let value = try inputs("kps", as: JSONValue.self)
        guard let document = PoseKeypointDocument.firstDocument(value) else { throw NodeError(node, "kps: the list of poses is empty") }
        let decoded: (people: [PersonPose], height: Int, width: Int)
        do { decoded = try PoseKeypointDocument.people(in: document) } catch { throw NodeError(node, "kps: \(error)") }
        guard decoded.height > 0, decoded.width > 0 else {
            throw NodeError(node, "kps: the canvas is \(decoded.width)×\(decoded.height); it needs a positive size")
        }
        try context.budget.checkImage(width: decoded.width, height: decoded.height, node: node, inputs: "kps")
        let map = OpenPoseDrawing.draw(decoded.people, height: decoded.height, width: decoded.width,
                                       body: try inputs("render_body", as: Bool.self), hands: try inputs("render_hand", as: Bool.self),
                                       face: try inputs("render_face", as: Bool.self), style: .keypoints)
        return NodeResult([map.unitImage])
    }
}

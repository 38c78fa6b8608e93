import LoomGraph
import LoomModels

/// comfyui_controlnet_aux's POSE_KEYPOINT: per image, the OpenPose JSON dict `encode_poses_as_dict` makes —
/// `people` with `pose_keypoints_2d`, `face_keypoints_2d`, `hand_left_keypoints_2d`, `hand_right_keypoints_2d`
/// (x, y, confidence triples normalised to 0...1; a missing part is 0, 0, 0; a missing hand or face is null),
/// and `canvas_height`, `canvas_width`. Links carry the list of these dicts, one per image of the batch.
public enum PoseKeypointDocument {
    public static let typeName = "POSE_KEYPOINT"

    public static func document(people: [PersonPose], canvasHeight: Int, canvasWidth: Int) -> JSONValue {
        func triples(_ points: [PoseKeypoint?]?) -> JSONValue {
            guard let points, !points.isEmpty else { return .null }
            return .array(points.flatMap { point -> [JSONValue] in
                guard let point else { return [.double(0), .double(0), .double(0)] }
                return [.double(point.x), .double(point.y), .double(1)]
            })
        }
        let entries: [JSONValue] = people.map { person in
            .object([
                "pose_keypoints_2d": triples(person.body.keypoints),
                "face_keypoints_2d": triples(person.face?.map { Optional($0) }),
                "hand_left_keypoints_2d": triples(person.leftHand?.map { Optional($0) }),
                "hand_right_keypoints_2d": triples(person.rightHand?.map { Optional($0) }),
            ])
        }
        return .object(["people": .array(entries), "canvas_height": .int(canvasHeight), "canvas_width": .int(canvasWidth)])
    }
}

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
                "face_keypoints_2d": triples(person.face),
                "hand_left_keypoints_2d": triples(person.leftHand),
                "hand_right_keypoints_2d": triples(person.rightHand),
            ])
        }
        return .object(["people": .array(entries), "canvas_height": .int(canvasHeight), "canvas_width": .int(canvasWidth)])
    }

    /// A POSE_KEYPOINT link's first dict: the list's first entry, or the value itself when it is one dict.
    public static func firstDocument(_ value: JSONValue) -> JSONValue? {
        if case .array(let documents) = value { return documents.first }
        return value
    }

    /// dwpose's `decode_json_as_poses`: the people and the canvas size; a point with confidence under 1 is missing,
    /// an empty or absent list is none.
    public static func people(in document: JSONValue) throws -> (people: [PersonPose], height: Int, width: Int) {
        guard case .object = document else { throw PoseKeypointError("a POSE_KEYPOINT entry must be a dict, not \(document.pythonTypeName)") }
        guard let height = document["canvas_height"]?.intValue, let width = document["canvas_width"]?.intValue else {
            throw PoseKeypointError("a POSE_KEYPOINT dict needs integer canvas_height and canvas_width")
        }
        func points(_ value: JSONValue?, _ key: String) throws -> [PoseKeypoint?]? {
            guard let value, !value.isNull else { return nil }
            guard let numbers = value.arrayValue?.map(\.doubleValue), numbers.allSatisfy({ $0 != nil }) else {
                throw PoseKeypointError("\(key) must be a list of numbers")
            }
            guard !numbers.isEmpty else { return nil }
            guard numbers.count % 3 == 0 else { throw PoseKeypointError("\(key) holds \(numbers.count) numbers, not x, y, confidence triples") }
            return stride(from: 0, to: numbers.count, by: 3).map { index in
                numbers[index + 2]! < 1 ? nil : PoseKeypoint(x: numbers[index]!, y: numbers[index + 1]!)
            }
        }
        let people = try (document["people"]?.arrayValue ?? []).map { person -> PersonPose in
            PersonPose(body: BodyPose(keypoints: try points(person["pose_keypoints_2d"], "pose_keypoints_2d") ?? [], totalScore: 0, totalParts: 0),
                       leftHand: try points(person["hand_left_keypoints_2d"], "hand_left_keypoints_2d"),
                       rightHand: try points(person["hand_right_keypoints_2d"], "hand_right_keypoints_2d"),
                       face: try points(person["face_keypoints_2d"], "face_keypoints_2d"))
        }
        return (people, height, width)
    }
}

/// A POSE_KEYPOINT value that is not the pack's OpenPose dict.
public struct PoseKeypointError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

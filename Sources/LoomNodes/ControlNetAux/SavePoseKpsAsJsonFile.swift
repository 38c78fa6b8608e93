import Foundation
import LoomGraph

/// comfyui_controlnet_aux's "Save Pose Keypoints": the whole POSE_KEYPOINT list as `<prefix>_<counter>.json` in the
/// output folder (Python's `json.dump` layout), numbered as ComfyUI numbers saved images. As in ComfyUI, the
/// counter only counts files named `<prefix>_<number>_…`, so a second run replaces the first file unless images
/// share the prefix.
public struct SavePoseKpsAsJsonFile: Node {
    public static let schema = NodeSchema(
        name: "SavePoseKpsAsJsonFile", displayName: "Save Pose Keypoints", category: "ControlNet Preprocessors/Pose Keypoint Postprocess",
        inputs: [.link("pose_kps", PoseKeypointDocument.typeName), .string("filename_prefix", default: "PoseKeypoint")],
        isOutputNode: true, pythonModule: "custom_nodes.comfyui_controlnet_aux")

    public init() {}

    public static var runsConcurrently: Bool { true }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let poses = try inputs("pose_kps", as: JSONValue.self)
        let prefix = try inputs("filename_prefix", as: String.self)
        guard let folders = context.resources.get(FolderPaths.self) else { throw NodeError(node, "no output folder is configured") }
        guard let first = PoseKeypointDocument.firstDocument(poses), let width = first["canvas_width"]?.intValue,
              let height = first["canvas_height"]?.intValue else {
            throw NodeError(node, "pose_kps: the first entry needs canvas_width and canvas_height")
        }
        let location: ImageSaveLocation
        do {
            location = try ImageSaveLocation(prefix: prefix, root: folders.output, width: width, height: height)
            try FileManager.default.createDirectory(atPath: location.directory, withIntermediateDirectories: true)
        } catch let error as FileNameError {
            throw NodeError(node, "filename_prefix: \(error)")
        } catch {
            throw NodeError(node, "cannot create the folder for '\(prefix)' under \(folders.output): \(error.localizedDescription)")
        }
        let number = String(location.counter)
        let name = location.name + "_" + String(repeating: "0", count: max(0, 5 - number.count)) + number + ".json"
        do {
            try Data(poses.jsonText(indent: nil).utf8).write(to: URL(fileURLWithPath: location.directory + "/" + name))
        } catch {
            throw NodeError(node, "cannot write \(name): \(error.localizedDescription)")
        }
        return NodeResult([])
    }
}

import Foundation
import LoomGraph
import LoomModelFiles

/// A checkpoint comfyui_controlnet_aux downloads from the Hugging Face Hub into
/// `custom_nodes/comfyui_controlnet_aux/ckpts/<repository>/<name>`, and where Loom looks for it:
///
/// 1. Loom's `annotators` model folder (`models/annotators/`, or `annotators:` in extra_model_paths.yaml), the
///    file directly inside or under `<repository>/` as the pack lays out its `ckpts` folder;
/// 2. `$AUX_ANNOTATOR_CKPTS_PATH/<repository>/`, the pack's own override;
/// 3. the pack's folder in ComfyUI's `custom_nodes` (under the base directory, and any `custom_nodes:` entries
///    of extra_model_paths.yaml): `comfyui_controlnet_aux/ckpts/<repository>/`.
public struct AnnotatorCheckpoint: Sendable, Hashable {
    public static let folder = "annotators"
    public static let packFolder = "comfyui_controlnet_aux"
    public static let environmentVariable = "AUX_ANNOTATOR_CKPTS_PATH"

    public var repository: String
    public var name: String

    public init(repository: String, name: String) {
        self.repository = repository
        self.name = name
    }

    public static let openPoseBody = AnnotatorCheckpoint(repository: "lllyasviel/Annotators", name: "body_pose_model.pth")
    public static let openPoseHand = AnnotatorCheckpoint(repository: "lllyasviel/Annotators", name: "hand_pose_model.pth")
    public static let openPoseFace = AnnotatorCheckpoint(repository: "lllyasviel/Annotators", name: "facenet.pth")

    /// Where the pack would fetch it from.
    public var downloadURL: String { "https://huggingface.co/\(repository)/resolve/main/\(name)" }

    /// Every place looked at, in order.
    public func candidatePaths(_ resources: Resources, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        let folders = resources.get(FolderPaths.self)
        let models = folders?.models
        var paths: [String] = []
        for directory in models?.searchedLocations(for: Self.folder) ?? [] {
            paths.append(directory + "/" + name)
            paths.append(directory + "/" + repository + "/" + name)
        }
        if let override = environment[Self.environmentVariable], !override.isEmpty {
            paths.append(override + "/" + repository + "/" + name)
        }
        var customNodes = folders.map { [$0.base + "/custom_nodes"] } ?? []
        customNodes += models?.searchedLocations(for: "custom_nodes") ?? []
        for directory in customNodes {
            paths.append([directory, Self.packFolder, "ckpts", repository, name].joined(separator: "/"))
        }
        var seen = Set<String>()
        return paths.map { ($0 as NSString).standardizingPath }.filter { seen.insert($0).inserted }
    }

    /// The first existing file, or an error naming the file, the places searched and where the pack gets it.
    public func locate(_ resources: Resources, node: String) throws -> String {
        let candidates = candidatePaths(resources)
        for path in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { return path }
        }
        throw NodeError(node, "\(name) was not found; searched \(candidates.isEmpty ? "no folders (none are configured)" : candidates.joined(separator: ", ")). comfyui_controlnet_aux downloads it from \(downloadURL) into custom_nodes/\(Self.packFolder)/ckpts/\(repository)/; put it there or in models/\(Self.folder)/")
    }

    /// The file's contents as a fingerprint part (a missing file counts as its name).
    func fingerprint(_ resources: Resources) -> String {
        guard let path = try? locate(resources, node: ""), let fingerprint = try? FileFingerprint(path: path) else { return "missing:\(name)" }
        return fingerprint.description
    }
}

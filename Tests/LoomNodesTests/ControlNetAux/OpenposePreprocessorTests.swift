import Foundation
import LoomGraph
import LoomImaging
import LoomModelFiles
import LoomModels
import LoomNodes
import Testing

/// comfyui_controlnet_aux's OpenposePreprocessor: schema, where its checkpoints are found, and a run on the tiny
/// fixtures under the pack's file names.
@Suite struct OpenposePreprocessorTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models")

    /// A ComfyUI base directory with the tiny body and hand models where the pack downloads them.
    static func packInstall(_ folders: TemporaryFolders, files: [(String, String)] = [
        ("body_pose_model-tiny.pth", "body_pose_model.pth"), ("hand_pose_model-tiny-legacy.pth", "hand_pose_model.pth"),
    ]) throws -> String {
        let directory = folders.folders.base + "/custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (fixture, name) in files {
            try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent(fixture).path, toPath: directory + "/" + name)
        }
        return directory
    }

    static func resources(_ folders: TemporaryFolders, modelsRoot: String? = nil) -> Resources {
        let resources = Resources()
        FolderPaths(base: folders.folders.base, models: ModelDirectories(modelsRoot: modelsRoot ?? folders.folders.base + "/models"))
            .register(in: resources)
        return resources
    }

    static func run(_ values: [String: NodeValue], resources: Resources) async throws -> NodeResult {
        try await OpenposePreprocessor().execute(NodeInputs(values, nodeID: "7", classType: "OpenposePreprocessor"),
                                                 context: NodeContext(nodeID: "7", promptID: "p", resources: resources, progress: { _, _ in }))
    }

    static func image(height: Int, width: Int) -> Image {
        Image(batchCount: 2, height: height, width: width, channels: 3,
              pixels: (0..<(2 * height * width * 3)).map { Float(($0 * 37) % 256) / 255 })
    }

    @Test func schemaIsThePacks() {
        let schema = OpenposePreprocessor.schema
        #expect(schema.name == "OpenposePreprocessor" && schema.displayName == "OpenPose Pose")
        #expect(schema.inputs.map(\.name) == ["image", "detect_hand", "detect_body", "detect_face", "resolution", "scale_stick_for_xinsr_cn"])
        #expect(schema.inputs.dropFirst().allSatisfy { $0.section == .optional })
        #expect(schema.input(named: "detect_hand")?.kind.defaultValue == .string("enable"))
        #expect(schema.input(named: "scale_stick_for_xinsr_cn")?.kind.defaultValue == .string("disable"))
        guard case .int(let resolution)? = schema.input(named: "resolution")?.kind else { Issue.record("resolution is not an INT"); return }
        #expect(resolution.defaultValue == 512 && resolution.step == 64)
        #expect(schema.outputs.map(\.type) == ["IMAGE", "POSE_KEYPOINT"])
    }

    @Test func missingCheckpointNamesTheFileTheFoldersAndTheDownload() async throws {
        let folders = try TemporaryFolders()
        defer { folders.remove() }
        let error = await #expect(throws: NodeError.self) {
            try await Self.run(["image": Self.image(height: 8, width: 8)], resources: Self.resources(folders))
        }
        let message = "\(error.map { $0 } as Any)"
        #expect(message.contains("body_pose_model.pth"))
        #expect(message.contains("models/annotators"))
        #expect(message.contains("custom_nodes/comfyui_controlnet_aux/ckpts/lllyasviel/Annotators/body_pose_model.pth"))
        #expect(message.contains("https://huggingface.co/lllyasviel/Annotators/resolve/main/body_pose_model.pth"))
    }

    @Test func runsOnThePacksCheckpointsAndGivesMapsAndKeypoints() async throws {
        let folders = try TemporaryFolders()
        defer { folders.remove() }
        _ = try Self.packInstall(folders)
        let result = try await Self.run([
            "image": Self.image(height: 30, width: 40), "detect_face": "disable", "resolution": 64,
        ], resources: Self.resources(folders))
        let map = try #require(result.outputs[0] as? Image)
        // The map is at the detection size (short side 64), as the pack returns it; random weights find nobody.
        #expect(map.batchCount == 2 && map.height == 64 && map.width == 85 && map.channels == 3)
        #expect(map.pixels.allSatisfy { $0 == 0 })
        let keypoints = try #require(result.outputs[1] as? JSONValue)
        let expected: JSONValue = .object(["people": .array([]), "canvas_height": .int(64), "canvas_width": .int(85)])
        #expect(keypoints == .array([expected, expected]))
        #expect(result.ui?["openpose_json"] == .array([.string(keypoints.jsonText(indent: 4))]))
    }

    @Test func facesNeedFacenetAndTheAnnotatorsFolderIsSearchedFirst() async throws {
        let folders = try TemporaryFolders()
        defer { folders.remove() }
        _ = try Self.packInstall(folders, files: [("body_pose_model-tiny.pth", "body_pose_model.pth")])
        let resources = Self.resources(folders)
        let error = await #expect(throws: NodeError.self) {
            try await Self.run(["image": Self.image(height: 8, width: 8), "detect_hand": "disable", "resolution": 64], resources: resources)
        }
        #expect("\(error.map { $0 } as Any)".contains("facenet.pth"))
        // A wrong file in models/annotators is found first and refused by name.
        let annotators = folders.folders.base + "/models/annotators"
        try FileManager.default.createDirectory(atPath: annotators, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("hand_pose_model-tiny-legacy.pth").path,
                                         toPath: annotators + "/body_pose_model.pth")
        let wrong = await #expect(throws: NodeError.self) {
            try await Self.run(["image": Self.image(height: 8, width: 8), "detect_hand": "disable", "detect_face": "disable",
                                "resolution": 64], resources: resources)
        }
        #expect("\(wrong.map { $0 } as Any)".contains("not an OpenPose body model"))
    }

    /// A checkpoint whose pickle calls os.system is refused by name, and the command never runs.
    @Test func maliciousCheckpointIsRefusedWithoutRunningIt() async throws {
        let folders = try TemporaryFolders()
        defer { folders.remove() }
        let directory = try Self.packInstall(folders, files: [])
        let marker = folders.folders.base + "/pwned"
        let command = "touch " + marker
        var pickle: [UInt8] = [0x80, 0x02] + Array("cposix\nsystem\n".utf8) + [UInt8(ascii: "("), 0x58]
        pickle += withUnsafeBytes(of: UInt32(command.utf8.count).littleEndian) { Array($0) } + Array(command.utf8)
        pickle += [UInt8(ascii: "t"), UInt8(ascii: "R"), UInt8(ascii: ".")]
        try folders.write(pickle, to: directory + "/body_pose_model.pth")
        let error = await #expect(throws: NodeError.self) {
            try await Self.run(["image": Self.image(height: 8, width: 8), "detect_hand": "disable", "detect_face": "disable"],
                               resources: Self.resources(folders))
        }
        #expect("\(error.map { $0 } as Any)".contains("body_pose_model.pth"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}

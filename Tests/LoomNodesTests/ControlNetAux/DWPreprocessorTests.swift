import Foundation
import LoomGraph
import LoomImaging
import LoomModelFiles
import LoomModels
import LoomNodes
import Testing

/// comfyui_controlnet_aux's DWPreprocessor: schema, where its ONNX and TorchScript files are found, what is refused,
/// and runs on the tiny fixtures under the pack's file names.
@Suite struct DWPreprocessorTests {
    static let fixtures = OpenposePreprocessorTests.fixtures

    /// A ComfyUI base directory with the tiny DWPose models where the pack downloads them.
    static func packInstall(_ folders: TemporaryFolders, files: [(String, String)] = [
        ("yolox_l-tiny.onnx", "yolox_l.onnx"), ("dw-ll_ucoco_384-tiny.onnx", "dw-ll_ucoco_384.onnx"),
    ]) throws -> String {
        let directory = folders.folders.base + "/custom_nodes/comfyui_controlnet_aux/ckpts/yzd-v/DWPose"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (fixture, name) in files {
            try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent(fixture).path, toPath: directory + "/" + name)
        }
        return directory
    }

    static func run(_ values: [String: NodeValue], resources: Resources) async throws -> NodeResult {
        var values = values
        if values["pose_estimator"] == nil { values["pose_estimator"] = "dw-ll_ucoco_384.onnx" }
        return try await DWPreprocessor().execute(NodeInputs(values, nodeID: "9", classType: "DWPreprocessor"),
                                                  context: NodeContext(nodeID: "9", promptID: "p", resources: resources, progress: { _, _ in }))
    }

    static func message(_ error: NodeError?) -> String { "\(error.map { $0 } as Any)" }

    @Test func schemaIsThePacks() {
        let schema = DWPreprocessor.schema
        #expect(schema.name == "DWPreprocessor" && schema.displayName == "DWPose Estimator")
        #expect(schema.inputs.map(\.name) == ["image", "detect_hand", "detect_body", "detect_face", "resolution", "bbox_detector",
                                              "pose_estimator", "scale_stick_for_xinsr_cn"])
        #expect(schema.inputs.dropFirst().allSatisfy { $0.section == .optional })
        #expect(schema.input(named: "bbox_detector")?.kind.defaultValue == .string("yolox_l.onnx"))
        #expect(schema.input(named: "pose_estimator")?.kind.defaultValue == .string("dw-ll_ucoco_384_bs5.torchscript.pt"))
        guard case .int(let resolution)? = schema.input(named: "resolution")?.kind else { Issue.record("resolution is not an INT"); return }
        #expect(resolution.defaultValue == 512 && resolution.step == 64)
        #expect(schema.outputs.map(\.type) == ["IMAGE", "POSE_KEYPOINT"])
    }

    @Test func missingFileNamesItTheFoldersAndTheDownload() async throws {
        let folders = try TemporaryFolders()
        defer { folders.remove() }
        let error = await #expect(throws: NodeError.self) {
            try await Self.run(["image": OpenposePreprocessorTests.image(height: 8, width: 8)], resources: OpenposePreprocessorTests.resources(folders))
        }
        let message = Self.message(error)
        #expect(message.contains("yolox_l.onnx") && message.contains("models/annotators"))
        #expect(message.contains("custom_nodes/comfyui_controlnet_aux/ckpts/yzd-v/DWPose/yolox_l.onnx"))
        #expect(message.contains("https://huggingface.co/yzd-v/DWPose/resolve/main/yolox_l.onnx"))
    }

    @Test func yoloNASIsRefusedByName() async throws {
        let folders = try TemporaryFolders()
        defer { folders.remove() }
        let resources = OpenposePreprocessorTests.resources(folders)
        let image = OpenposePreprocessorTests.image(height: 8, width: 8)
        let nas = await #expect(throws: NodeError.self) {
            try await Self.run(["image": image, "bbox_detector": "yolo_nas_s_fp16.onnx"], resources: resources)
        }
        #expect(Self.message(nas).contains("yolo_nas_s_fp16.onnx") && Self.message(nas).contains("YOLO-NAS"))
    }

    /// The pack's TorchScript files where it downloads them: hr16/yolox-onnx and hr16/DWPose-TorchScript-BatchSize5.
    static func torchScriptInstall(_ folders: TemporaryFolders, estimator: String = "dw-ll_ucoco_384_bs5-tiny.torchscript.pt") throws {
        let ckpts = folders.folders.base + "/custom_nodes/comfyui_controlnet_aux/ckpts/"
        for (fixture, repository, name) in [("yolox_l-tiny.torchscript.pt", "hr16/yolox-onnx", "yolox_l.torchscript.pt"),
                                            (estimator, "hr16/DWPose-TorchScript-BatchSize5", "dw-ll_ucoco_384_bs5.torchscript.pt")] {
            try FileManager.default.createDirectory(atPath: ckpts + repository, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent(fixture).path, toPath: ckpts + repository + "/" + name)
        }
    }

    @Test func torchScriptFilesGiveTheONNXFilesMapAndKeypoints() async throws {
        let folders = try TemporaryFolders()
        defer { folders.remove() }
        _ = try Self.packInstall(folders)
        try Self.torchScriptInstall(folders)
        let resources = OpenposePreprocessorTests.resources(folders)
        let image = OpenposePreprocessorTests.image(height: 30, width: 40)
        let onnx = try await Self.run(["image": image, "resolution": 64], resources: resources)
        let script = try await Self.run(["image": image, "resolution": 64, "bbox_detector": "yolox_l.torchscript.pt",
                                         "pose_estimator": "dw-ll_ucoco_384_bs5.torchscript.pt"], resources: resources)
        let (onnxMap, scriptMap) = (try #require(onnx.outputs[0] as? Image), try #require(script.outputs[0] as? Image))
        #expect(scriptMap.height == onnxMap.height && scriptMap.width == onnxMap.width && scriptMap.batchCount == onnxMap.batchCount)
        // Identical on lavapipe; the weights' rounding differs by about 1e-7, so a device may break a SimCC near tie the
        // other way.
        let differing = zip(scriptMap.pixels, onnxMap.pixels).filter { $0 != $1 }.count
        #expect(differing * 1000 <= onnxMap.pixels.count && scriptMap.pixels.contains { $0 != 0 }, "\(differing) samples differ")
        let keypoints = try #require((script.outputs[1] as? JSONValue)?.arrayValue)
        let reference = try #require((onnx.outputs[1] as? JSONValue)?.arrayValue)
        #expect(keypoints.map { $0["people"]?.arrayValue?.count } == reference.map { $0["people"]?.arrayValue?.count })
        #expect(keypoints.contains { !($0["people"]?.arrayValue?.isEmpty ?? true) })
    }

    @Test func aTorchScriptNameOnAnotherKindOfFileIsRefused() async throws {
        let folders = try TemporaryFolders()
        defer { folders.remove() }
        _ = try Self.packInstall(folders)
        try Self.torchScriptInstall(folders, estimator: "body_pose_model-tiny.pth")
        let error = await #expect(throws: NodeError.self) {
            try await Self.run(["image": OpenposePreprocessorTests.image(height: 8, width: 8), "pose_estimator": "dw-ll_ucoco_384_bs5.torchscript.pt"],
                               resources: OpenposePreprocessorTests.resources(folders))
        }
        #expect(Self.message(error).contains("dw-ll_ucoco_384_bs5.torchscript.pt is a pytorch file, not a TorchScript archive"))
    }

    @Test func damagedAndSwappedFilesGiveClearErrors() async throws {
        let folders = try TemporaryFolders()
        defer { folders.remove() }
        let directory = try Self.packInstall(folders, files: [("dw-ll_ucoco_384-tiny.onnx", "yolox_l.onnx"),
                                                              ("dw-ll_ucoco_384-tiny.onnx", "dw-ll_ucoco_384.onnx")])
        let resources = OpenposePreprocessorTests.resources(folders)
        let image = OpenposePreprocessorTests.image(height: 8, width: 8)
        let swapped = await #expect(throws: NodeError.self) { try await Self.run(["image": image], resources: resources) }
        #expect(Self.message(swapped).contains("yolox_l.onnx") && Self.message(swapped).contains("different network"))
        let original = try Data(contentsOf: Self.fixtures.appendingPathComponent("yolox_l-tiny.onnx"))
        try original.prefix(original.count / 2).write(to: URL(fileURLWithPath: directory + "/yolox_l.onnx"))
        let truncated = await #expect(throws: NodeError.self) { try await Self.run(["image": image], resources: resources) }
        #expect(Self.message(truncated).contains("yolox_l.onnx") && Self.message(truncated).contains("ends inside"))
    }

    @Test func runsOnThePacksFilesAndGivesMapsAndKeypoints() async throws {
        let folders = try TemporaryFolders()
        defer { folders.remove() }
        _ = try Self.packInstall(folders)
        let result = try await Self.run([
            "image": OpenposePreprocessorTests.image(height: 30, width: 40), "resolution": 64, "detect_face": "disable",
        ], resources: OpenposePreprocessorTests.resources(folders))
        let map = try #require(result.outputs[0] as? Image)
        // The map's short side is the resolution; POSE_KEYPOINT's canvas is the image's own size.
        #expect(map.batchCount == 2 && map.height == 64 && map.width == 85 && map.channels == 3)
        let keypoints = try #require(result.outputs[1] as? JSONValue)
        let documents = try #require(keypoints.arrayValue)
        #expect(documents.count == 2 && documents.allSatisfy { $0["canvas_height"]?.intValue == 30 && $0["canvas_width"]?.intValue == 40 })
        for person in documents.flatMap({ $0["people"]?.arrayValue ?? [] }) {
            #expect(person["face_keypoints_2d"]?.isNull == true)
            #expect(person["pose_keypoints_2d"]?.arrayValue?.count == 54)
        }
        #expect(result.ui?["openpose_json"] == .array([.string(keypoints.jsonText(indent: 4))]))

        // Without a detector the whole image is one person's box.
        let whole = try await Self.run(["image": OpenposePreprocessorTests.image(height: 30, width: 40), "resolution": 64,
                                        "bbox_detector": "None"], resources: OpenposePreprocessorTests.resources(folders))
        let people = try #require((whole.outputs[1] as? JSONValue)?.arrayValue?.first?["people"]?.arrayValue)
        #expect(people.count == 1)
    }
}

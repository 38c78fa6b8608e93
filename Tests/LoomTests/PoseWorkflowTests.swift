import Foundation
import LoomImaging
import Testing
@testable import Loom

/// graphs/openpose.yaml — LoadImage → OpenposePreprocessor → SaveImage — on the tiny annotator checkpoints that
/// graphs/models/annotators links under the pack's file names.
@Suite struct PoseWorkflowTests {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("loom-pose-\(UUID().uuidString)")

    @Test func openPoseGraphSavesTheMapAndShowsTheKeypoints() async throws {
        defer { try? FileManager.default.removeItem(at: output) }
        let resources = Resources()
        FolderPaths(
            base: output.path, input: repositoryRoot.appendingPathComponent("graphs/input").path, output: output.path,
            models: ModelDirectories(modelsRoot: repositoryRoot.appendingPathComponent("graphs/models").path)
        ).register(in: resources)
        let engine = LoomEngine(resources: resources)
        let outcome = try await engine.run(try engine.load(contentsOf: repositoryRoot.appendingPathComponent("graphs/openpose.yaml")))
        #expect(outcome.succeeded, "\(outcome.status)")
        let saved = try #require(outcome.outputs["save"]?["images"]?.arrayValue?.first)
        let image = try ImageFile.read(at: output.appendingPathComponent(saved["filename"]!.stringValue!).path)
        // person.png is 120 × 160: short side to 512. Random weights find nobody, so the map is black.
        #expect(image.width == 512 && image.height == 683)
        #expect(image.samples.allSatisfy { $0 == 0 })
        let shown = try #require(outcome.outputs["keypoints"]?["text"]?.arrayValue?.first?.stringValue)
        #expect(shown == #"[{"people": [], "canvas_height": 683, "canvas_width": 512}]"#)
        let json = try #require(outcome.outputs["pose"]?["openpose_json"]?.arrayValue?.first?.stringValue)
        #expect(json.contains("\"canvas_height\": 683"))
    }

    /// graphs/dwpose.yaml on the tiny DWPose models: the random detector finds boxes along the image's top, so the
    /// map is not black; POSE_KEYPOINT's canvas is the image's own size, as the pack reports it.
    @Test func dwPoseGraphSavesTheMapAndShowsTheKeypoints() async throws {
        defer { try? FileManager.default.removeItem(at: output) }
        let resources = Resources()
        FolderPaths(
            base: output.path, input: repositoryRoot.appendingPathComponent("graphs/input").path, output: output.path,
            models: ModelDirectories(modelsRoot: repositoryRoot.appendingPathComponent("graphs/models").path)
        ).register(in: resources)
        let engine = LoomEngine(resources: resources)
        let outcome = try await engine.run(try engine.load(contentsOf: repositoryRoot.appendingPathComponent("graphs/dwpose.yaml")))
        #expect(outcome.succeeded, "\(outcome.status)")
        let saved = try #require(outcome.outputs["save"]?["images"]?.arrayValue?.first)
        let image = try ImageFile.read(at: output.appendingPathComponent(saved["filename"]!.stringValue!).path)
        #expect(image.width == 512 && image.height == 683)
        #expect(image.samples.contains { $0 != 0 })
        let shown = try #require(outcome.outputs["keypoints"]?["text"]?.arrayValue?.first?.stringValue)
        #expect(shown.contains("\"canvas_height\": 160, \"canvas_width\": 120"))
    }
}

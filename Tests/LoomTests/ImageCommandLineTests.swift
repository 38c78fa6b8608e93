import Foundation
import Testing

/// `loom run` with ComfyUI's folder options: images come from the input folder and land in the output folder.
@Suite(.serialized) struct ImageCommandLineTests {
    @Test func runLoadsInvertsAndSavesAnImage() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cli-images-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let input = base.appendingPathComponent("input")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: repositoryRoot.appendingPathComponent("Tests/Fixtures/images/png_rgba_text.png"),
            to: input.appendingPathComponent("photo.png"))
        let workflow = base.appendingPathComponent("flow.json")
        try Data("""
            {"1": {"class_type": "LoadImage", "inputs": {"image": "photo.png"}},
             "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "cli/inverted"}}}
            """.utf8).write(to: workflow)

        let result = try LoomProcess.run(["run", workflow.path, "--base-directory", base.path, "--no-disk-cache"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("3 executed"), "\(result.output)")
        let saved = base.appendingPathComponent("output/cli/inverted_00001_.png")
        #expect(FileManager.default.fileExists(atPath: saved.path))

        let missing = try LoomProcess.run(["validate", workflow.path, "--input-directory", base.path + "/elsewhere"])
        #expect(missing.status != 0)
        #expect((missing.output + missing.error).contains("photo.png"))
    }
}

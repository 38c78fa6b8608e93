import Foundation
import LoomImaging
import Testing
@testable import Loom

/// The workflows in graphs/ and realistic UI files, run on the real node library as `loom run` runs them.
@Suite struct ReadyGraphTests {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("loom-graphs-\(UUID().uuidString)")

    func engine() -> LoomEngine {
        let resources = Resources()
        FolderPaths(base: output.path, input: repositoryRoot.appendingPathComponent("graphs/input").path, output: output.path)
            .register(in: resources)
        return LoomEngine(resources: resources)
    }

    func saved(_ outcome: ExecutionOutcome, node: String) throws -> RasterImage {
        let image = try #require(outcome.outputs[node]?["images"]?.arrayValue?.first)
        let subfolder = image["subfolder"]?.stringValue ?? ""
        let path = output.appendingPathComponent(subfolder).appendingPathComponent(image["filename"]!.stringValue!).path
        return try ImageFile.read(at: path)
    }

    @Test(arguments: ["graphs/dashtailor-composite.yaml", "graphs/dashtailor-composite.json"])
    func dashTailorCompositeStep(file: String) async throws {
        defer { try? FileManager.default.removeItem(at: output) }
        let engine = engine()
        let document = try engine.load(contentsOf: repositoryRoot.appendingPathComponent(file))
        let outcome = try await engine.run(document)
        #expect(outcome.succeeded, "\(outcome.status)")

        // The garment (96×120) is scaled to the person's height (160): 128 wide, beside the 120-wide person.
        let composite = try saved(outcome, node: "save_composite")
        #expect((composite.width, composite.height) == (248, 160))
        let mask = try saved(outcome, node: "save_mask")
        #expect((mask.width, mask.height) == (248, 160))
        var leftMasked = 0
        var rightMasked = 0
        for y in 0..<mask.height {
            for x in 0..<mask.width where mask.samples[(y * mask.width + x) * mask.channels] > 127 {
                if x < 128 { leftMasked += 1 } else { rightMasked += 1 }
            }
        }
        #expect(leftMasked == 0, "nothing on the garment's side is inpainted")
        let person = try ImageFile.read(at: repositoryRoot.appendingPathComponent("graphs/input/person.png").path)
        let personMasked = stride(from: 3, to: person.samples.count, by: 4).filter { person.samples[$0] == 0 }.count
        #expect(rightMasked == personMasked, "the person's painted region, and only it, is inpainted")

        // Cropping the right part back gives the person's pixels unchanged.
        let crop = try saved(outcome, node: "save_person")
        #expect((crop.width, crop.height) == (120, 160))
        let personRGB = stride(from: 0, to: person.samples.count, by: 4).flatMap { person.samples[$0..<$0 + 3] }
        let cropRGB = stride(from: 0, to: crop.samples.count, by: crop.channels).flatMap { crop.samples[$0..<$0 + 3] }
        #expect(cropRGB == personRGB)

        // The saved PNG carries the prompt, so it re-runs as the same workflow.
        let again = try engine.loader.load(Array(try Data(contentsOf: output.appendingPathComponent(
            "dashtailor/" + outcome.outputs["save_person"]!["images"]!.arrayValue![0]["filename"]!.stringValue!))))
        #expect(again.format == .png)
        #expect(again.prompt == document.prompt)
    }

    @Test func savedUIWorkflowWithSubgraphBypassPrimitiveAndMutedNode() async throws {
        defer { try? FileManager.default.removeItem(at: output) }
        let engine = engine()
        let document = try engine.load(contentsOf: repositoryRoot.appendingPathComponent("Tests/LoomTests/Fixtures/ui-image-workflow.json"))
        #expect(Set(document.prompt.ids) == ["1", "3:1", "3:2", "6"])
        #expect(document.prompt["3:1"]?[input: "width"] == .literal(60), "the primitive's value reaches inside the subgraph")
        #expect(document.prompt["6"]?[input: "images"] == .link(NodeLink(node: "3:2", output: 0)))
        let outcome = try await engine.run(document)
        #expect(outcome.succeeded, "\(outcome.status)")
        #expect(outcome.outputs.keys.sorted() == ["6"], "the muted preview does not run")
        let image = try saved(outcome, node: "6")
        #expect((image.width, image.height) == (60, 80), "height 0 keeps the aspect ratio")
        // The top-left sky pixel (120, 150, 210) comes out inverted once: the second invert is bypassed.
        let corner = Array(image.samples[0..<3]).map(Int.init)
        #expect(zip(corner, [135, 105, 45]).allSatisfy { abs($0 - $1) <= 2 }, "\(corner)")
        // The saved file embeds the original UI workflow for ComfyUI to reopen.
        #expect(image.text("workflow").map { $0.contains("Shrink and invert") } == true)
    }

    /// comfy-lint and similar tools take a file with a top-level `prompt` (or another `/prompt` body field) for a
    /// `/prompt` request body, so no ready workflow names a node that way.
    @Test func noReadyWorkflowReadsAsAPromptRequestBody() throws {
        let graphs = repositoryRoot.appendingPathComponent("graphs")
        let files = try FileManager.default.contentsOfDirectory(atPath: graphs.path)
            .filter { $0.hasSuffix(".json") || $0.hasSuffix(".yaml") }
        #expect(files.count > 10)
        for file in files {
            let ids = Set(try engine().load(contentsOf: graphs.appendingPathComponent(file)).prompt.ids)
            #expect(ids.isDisjoint(with: ["prompt", "client_id", "extra_data", "front", "number", "prompt_id"]), "\(file)")
        }
    }
}

import Foundation
import LoomImaging
import ModelFixtureSupport
import Testing
@testable import Loom

/// SD1.5 and SDXL workflows run on the tiny checkpoints and compared with the PNGs **ComfyUI itself** wrote
/// for the same API prompts (Tests/Fixtures/golden/workflows/sd-*, made by
/// scripts/fixtures/make_sd_workflow_golden.py): the models folder holds the tiny files under the names
/// ComfyUI users have, as ComfyUI's did.
@Suite(.serialized) struct StableDiffusionWorkflowTests {
    static let golden = repositoryRoot.appendingPathComponent("Tests/Fixtures/golden/workflows")
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("loom-sd-\(UUID().uuidString)")

    /// A ComfyUI-shaped base folder: models linked under the manifest's names, the inputs copied.
    func engine() throws -> LoomEngine {
        let manifest = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.golden.appendingPathComponent("sd-manifest.json"))) as! [String: Any]
        let files = FileManager.default
        let models = base.appendingPathComponent("models")
        for (name, target) in manifest["models"] as! [String: String] {
            let folder = name.contains("inpaint-unet") ? "diffusion_models" : "checkpoints"
            let directory = models.appendingPathComponent(folder)
            try files.createDirectory(at: directory, withIntermediateDirectories: true)
            // Targets are relative to Tests/Fixtures/golden/workflows; models committed as parts are put together.
            let committed = try CommittedModels.path(String(target.dropFirst("../../models/".count)))
            try files.createSymbolicLink(at: directory.appendingPathComponent(name), withDestinationURL: URL(fileURLWithPath: committed))
        }
        let input = base.appendingPathComponent("input")
        try files.createDirectory(at: input, withIntermediateDirectories: true)
        for (name, source) in manifest["inputs"] as! [String: String] {
            try files.copyItem(at: Self.golden.appendingPathComponent(source), to: input.appendingPathComponent(name))
        }
        let resources = Resources()
        FolderPaths(base: base.path, input: input.path, output: base.appendingPathComponent("output").path,
                    models: ModelDirectories(modelsRoot: models.path)).register(in: resources)
        return LoomEngine(resources: resources)
    }

    @Test(arguments: ["sdxl-base-refiner", "sdxl-inpaint", "sd15-euler", "sd15-dpmpp_2m", "sd15-inpaint-9ch"])
    func matchesComfyUIsImage(workflow: String) async throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let engine = try engine()
        try await expectComfyUIsImage(workflow, running: try engine.load(contentsOf: Self.golden.appendingPathComponent("sd-\(workflow).json")),
                                      on: engine)
    }

    /// The ready graphs in graphs/, on graphs/models (where the tiny checkpoints are linked under the same
    /// names), are the same computations.
    @Test(arguments: [("sdxl-base-refiner", "sdxl-base-refiner"), ("sd15-text-to-image", "sd15-euler")])
    func readyGraphsMatchComfyUIsImage(graph: String, workflow: String) async throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let resources = Resources()
        FolderPaths(base: base.path, output: base.appendingPathComponent("output").path,
                    models: ModelDirectories(modelsRoot: repositoryRoot.appendingPathComponent("graphs/models").path)).register(in: resources)
        let engine = LoomEngine(resources: resources)
        try await expectComfyUIsImage(workflow, running: try engine.load(contentsOf: repositoryRoot.appendingPathComponent("graphs/\(graph).yaml")),
                                      on: engine)
    }

    /// graphs/sdxl-lora runs (YAML and API JSON alike) and the LoRA changes the picture: with both strengths 0
    /// LoraLoader returns its inputs and the image differs.
    @Test func loraGraphRunsAndTheLoRAChangesTheImage() async throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let resources = Resources()
        FolderPaths(base: base.path, output: base.appendingPathComponent("output").path,
                    models: ModelDirectories(modelsRoot: repositoryRoot.appendingPathComponent("graphs/models").path)).register(in: resources)
        let engine = LoomEngine(resources: resources)
        let yaml = try engine.load(contentsOf: repositoryRoot.appendingPathComponent("graphs/sdxl-lora.yaml"))
        let json = try engine.load(contentsOf: repositoryRoot.appendingPathComponent("graphs/sdxl-lora.json"))
        #expect(yaml.prompt == json.prompt)
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("graphs/sdxl-lora.json"), encoding: .utf8)
        let withoutLoRA = text.replacingOccurrences(of: "\"strength_model\": 1.0", with: "\"strength_model\": 0.0")
            .replacingOccurrences(of: "\"strength_clip\": 1.0", with: "\"strength_clip\": 0.0")
        #expect(withoutLoRA != text)
        let patched = try await savedImage(running: yaml, on: engine)
        let plain = try await savedImage(running: try engine.loader.load(Array(withoutLoRA.utf8), fileExtension: "json"), on: engine)
        try #require(patched.samples.count == plain.samples.count)
        let total = zip(patched.samples, plain.samples).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        let meanAbsoluteError = Double(total) / Double(patched.samples.count)
        print("LoRA image change \(meanAbsoluteError)")
        #expect(meanAbsoluteError > 1, "the LoRA changed the image by \(meanAbsoluteError) / 255 on average")
    }

    func savedImage(running document: WorkflowDocument, on engine: LoomEngine) async throws -> RasterImage {
        let outcome = try await engine.run(document)
        #expect(outcome.succeeded, "\(outcome.status)")
        let images = outcome.outputs.values.compactMap { output -> JSONValue? in output["images"]?.arrayValue?.first }
        let saved = try #require(images.first)
        return try ImageFile.read(at: base.appendingPathComponent("output")
            .appendingPathComponent(saved["subfolder"]?.stringValue ?? "")
            .appendingPathComponent(saved["filename"]!.stringValue!).path)
    }

    func expectComfyUIsImage(_ workflow: String, running document: WorkflowDocument, on engine: LoomEngine) async throws {
        let outcome = try await engine.run(document)
        #expect(outcome.succeeded, "\(outcome.status)")
        let images = outcome.outputs.values.compactMap { output -> JSONValue? in output["images"]?.arrayValue?.first }
        let saved = try #require(images.first)
        let image = try ImageFile.read(at: base.appendingPathComponent("output")
            .appendingPathComponent(saved["subfolder"]?.stringValue ?? "")
            .appendingPathComponent(saved["filename"]!.stringValue!).path)
        let reference = try ImageFile.read(at: Self.golden.appendingPathComponent("sd-\(workflow).png").path)
        try #require((image.width, image.height, image.channels) == (reference.width, reference.height, reference.channels))
        let total = zip(image.samples, reference.samples).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        let meanAbsoluteError = Double(total) / Double(image.samples.count)
        #expect(meanAbsoluteError < 1, "\(workflow): mean absolute error \(meanAbsoluteError) / 255")
        #expect(Set(reference.samples).count > 50)
    }
}

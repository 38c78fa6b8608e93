import Foundation
import LoomImaging
import Testing
@testable import Loom

/// graphs/dashtailor.json on the bundled default models against the same graph executed by ComfyUI itself
/// (scripts/fixtures/make_dashtailor_golden.py: v0.3.64's PromptExecutor with comfyui_controlnet_aux).
/// The pose map and the Fill composite are compared; the final image is not, because the tiny random SDXL VAE
/// of the clean-up amplifies a Fill difference of a tenth of a level to about two (ComfyUI moves by 0.9 levels
/// against itself when only its Fill output is rounded to 8 bits; Tests/Fixtures/golden/dashtailor/README.md).
@Suite(.serialized) struct DashTailorComfyUITests {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("loom-dashtailor-\(UUID().uuidString)")

    func savedImage(_ outcome: ExecutionOutcome, node: String) throws -> RasterImage {
        let image = try #require(outcome.outputs[node]?["images"]?.arrayValue?.first)
        let path = output.appendingPathComponent(image["subfolder"]?.stringValue ?? "")
            .appendingPathComponent(try #require(image["filename"]?.stringValue)).path
        return try ImageFile.read(at: path)
    }

    /// Mean absolute difference in 8-bit levels over all samples, and the largest one.
    func difference(_ image: RasterImage, _ golden: RasterImage) throws -> (mean: Double, largest: Int) {
        try #require(image.width == golden.width && image.height == golden.height && image.channels == golden.channels)
        var sum = 0, largest = 0
        for (a, b) in zip(image.samples, golden.samples) {
            let d = abs(Int(a) - Int(b))
            sum += d
            largest = max(largest, d)
        }
        return (Double(sum) / Double(image.samples.count), largest)
    }

    let golden = repositoryRoot.appendingPathComponent("Tests/Fixtures/golden/dashtailor")

    func engine() -> LoomEngine {
        let resources = Resources()
        FolderPaths(
            base: output.path, input: repositoryRoot.appendingPathComponent("graphs/input").path, output: output.path,
            models: ModelDirectories(modelsRoot: repositoryRoot.appendingPathComponent("graphs/models").path)
        ).register(in: resources)
        return LoomEngine(resources: resources)
    }

    @Test func poseMapAndFillCompositeMatchComfyUI() async throws {
        defer { try? FileManager.default.removeItem(at: output) }
        let engine = engine()
        let outcome = try await engine.run(try engine.load(contentsOf: repositoryRoot.appendingPathComponent("graphs/dashtailor.json")))
        #expect(outcome.succeeded, "\(outcome.status)")
        for (node, file) in [("save_pose", "pose_map.png"), ("save_composite", "filled_composite.png")] {
            let expected = try ImageFile.read(at: golden.appendingPathComponent(file).path)
            let (mean, largest) = try difference(try savedImage(outcome, node: node), expected)
            #expect(mean < 1, "\(file): MAE \(mean) levels")
            #expect(largest <= 8, "\(file): largest difference \(largest)")
        }
        let composite = try ImageFile.read(at: golden.appendingPathComponent("filled_composite.png").path)
        #expect(Set(composite.samples).count > 50, "the reference is not flat")
    }

    /// The SDXL + LoRA clean-up alone: the same graph with it fed the person photo instead of the Fill output,
    /// so both sides encode identical pixels.
    @Test func cleanUpStageMatchesComfyUI() async throws {
        defer { try? FileManager.default.removeItem(at: output) }
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("graphs/dashtailor.json"))
        var graph = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var node = try #require(graph["person_latent"] as? [String: Any])
        var inputs = try #require(node["inputs"] as? [String: Any])
        inputs["pixels"] = ["person", 0]
        node["inputs"] = inputs
        graph["person_latent"] = node
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let file = output.appendingPathComponent("cleanup-on-person.json")
        try JSONSerialization.data(withJSONObject: graph).write(to: file)
        let engine = engine()
        let outcome = try await engine.run(try engine.load(contentsOf: file))
        #expect(outcome.succeeded, "\(outcome.status)")
        let expected = try ImageFile.read(at: golden.appendingPathComponent("cleanup_on_person.png").path)
        let (mean, largest) = try difference(try savedImage(outcome, node: "save_person"), expected)
        #expect(mean < 1, "MAE \(mean) levels")
        #expect(largest <= 8, "largest difference \(largest)")
    }
}

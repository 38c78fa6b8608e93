import Foundation
import LoomImaging
import Testing
@testable import Loom

/// graphs/dashtailor.json on the bundled models with the inputs an artist gets wrong (issue #20): a garment or a
/// person without a mask, a garment of a very different shape from the person, a damaged image file and absurd
/// widget values. The first three run to the end; the others stop with an error naming the node. Images are small
/// and sampling short (2 steps each) so each run stays within a minute in a debug build.
@Suite(.serialized) struct DashTailorBadInputTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loom-dashtailor-bad-\(UUID().uuidString)")
    var input: URL { folder.appendingPathComponent("input") }

    init() throws {
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
    }

    func engine() -> LoomEngine {
        let resources = Resources()
        FolderPaths(
            base: folder.path, input: input.path, output: folder.appendingPathComponent("output").path,
            models: ModelDirectories(modelsRoot: repositoryRoot.appendingPathComponent("graphs/models").path)
        ).register(in: resources)
        return LoomEngine(resources: resources)
    }

    /// An RGBA picture in the input folder: a colour ramp, transparent (so masked, as LoadImage's MASK is
    /// 1 − alpha) over the middle half unless `masked` is false.
    func writeImage(_ name: String, width: Int, height: Int, masked: Bool) throws {
        var samples: [UInt16] = []
        for y in 0..<height {
            for x in 0..<width {
                let inside = masked && (width / 4..<width - width / 4).contains(x) && (height / 4..<height - height / 4).contains(y)
                samples += [UInt16(x * 255 / max(width - 1, 1)), UInt16(y * 255 / max(height - 1, 1)), 90, inside ? 0 : 255]
            }
        }
        let png = try RasterImage(width: width, height: height, channels: 4, bitDepth: 8, samples: samples).encodedPNG()
        try Data(png).write(to: input.appendingPathComponent(name))
    }

    /// The graph with short sampling and a small pose resolution, `change` applied, run.
    func run(_ change: (inout [String: [String: Any]]) -> Void = { _ in }) async throws -> ExecutionOutcome {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("graphs/dashtailor.json"))
        var graph = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        func set(_ node: String, _ input: String, _ value: Any) {
            var inputs = graph[node]!["inputs"] as! [String: Any]
            inputs[input] = value
            graph[node]!["inputs"] = inputs
        }
        set("sample", "steps", 2)
        set("refine", "steps", 2)
        set("pose_map", "resolution", 64)
        change(&graph)
        let file = folder.appendingPathComponent("dashtailor.json")
        try JSONSerialization.data(withJSONObject: graph).write(to: file)
        let engine = engine()
        return try await engine.run(try engine.load(contentsOf: file))
    }

    /// The dressed person, as saved.
    func dressed(_ outcome: ExecutionOutcome) throws -> RasterImage {
        let image = try #require(outcome.outputs["save_person"]?["images"]?.arrayValue?.first)
        return try ImageFile.read(at: folder.appendingPathComponent("output").appendingPathComponent(image["subfolder"]?.stringValue ?? "")
            .appendingPathComponent(try #require(image["filename"]?.stringValue)).path)
    }

    @Test func aGarmentWithoutAMaskRuns() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeImage("garment.png", width: 40, height: 48, masked: false)
        try writeImage("person.png", width: 40, height: 56, masked: true)
        let outcome = try await run()
        #expect(outcome.succeeded, "\(outcome.status)")
        let person = try dressed(outcome)
        #expect((person.width, person.height) == (40, 56))
    }

    @Test func aPersonWithoutAMaskRuns() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeImage("garment.png", width: 40, height: 48, masked: true)
        try writeImage("person.png", width: 40, height: 56, masked: false)
        let outcome = try await run()
        #expect(outcome.succeeded, "\(outcome.status)")
        let person = try dressed(outcome)
        #expect((person.width, person.height) == (40, 56))
    }

    /// A wide, short garment becomes a strip many times the person's width; a tall, thin one a few pixels wide.
    @Test(arguments: [(400, 24), (24, 400)])
    func aGarmentOfAVeryDifferentShapeRuns(garmentWidth: Int, garmentHeight: Int) async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeImage("garment.png", width: garmentWidth, height: garmentHeight, masked: true)
        try writeImage("person.png", width: 40, height: 56, masked: true)
        let outcome = try await run()
        #expect(outcome.succeeded, "\(outcome.status)")
        #expect(try dressed(outcome).height == 56)
    }

    @Test func aDamagedImageFileIsANodeError() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeImage("person.png", width: 40, height: 56, masked: true)
        // A PNG signature and header chunk, then noise.
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52] + (0..<200).map { UInt8(($0 * 37) & 0xFF) })
            .write(to: input.appendingPathComponent("garment.png"))
        let outcome = try await run()
        guard case .failed(let failure) = outcome.status else {
            Issue.record("a damaged garment image gave \(outcome.status)")
            return
        }
        #expect(failure.nodeID == "garment")
        #expect(failure.nodeType == "LoadImage")
        #expect(failure.exceptionMessage.hasPrefix("LoadImage: image:"), "\(failure.exceptionMessage)")
        #expect(!failure.exceptionMessage.contains("\n"))
    }

    @Test func absurdWidgetValuesAreErrorsNamingTheNode() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeImage("garment.png", width: 40, height: 48, masked: true)
        try writeImage("person.png", width: 40, height: 56, masked: true)
        // Within the widget's declared range, but the pose network would work on a picture of 417 million pixels.
        let outcome = try await run { graph in
            var inputs = graph["pose_map"]!["inputs"] as! [String: Any]
            inputs["resolution"] = 16384
            graph["pose_map"]!["inputs"] = inputs
        }
        guard case .failed(let failure) = outcome.status else {
            Issue.record("resolution 16384 gave \(outcome.status)")
            return
        }
        #expect(failure.nodeID == "pose_map")
        #expect(failure.exceptionMessage.contains("image, resolution"), "\(failure.exceptionMessage)")
        #expect(failure.exceptionMessage.contains("--max-image-pixels"), "\(failure.exceptionMessage)")

        // Past the widget's range: refused before anything runs, naming the node and the input.
        do {
            _ = try await run { graph in
                var inputs = graph["sample"]!["inputs"] as! [String: Any]
                inputs["seed"] = 1e19
                graph["sample"]!["inputs"] = inputs
            }
            Issue.record("a seed of 1e19 was accepted")
        } catch let error as PromptValidationError {
            #expect(error.nodeErrors["sample"] != nil)
            #expect(error.description.contains("seed"), "\(error)")
            #expect(error.description.contains("bigger than max"), "\(error)")
        }
    }
}

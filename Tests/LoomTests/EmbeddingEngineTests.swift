import Foundation
import LoomImaging
import Testing
@testable import Loom

/// What the C API and the Python package build on: engines made from a configuration, and the values output
/// nodes received.
@Suite struct EmbeddingEngineTests {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("loom-embedding-\(UUID().uuidString)")

    func configuration() -> LoomEngine.Configuration {
        var configuration = LoomEngine.Configuration()
        configuration.baseDirectory = base.path
        configuration.diskCacheDirectory = nil
        configuration.pipelineRecordDirectory = nil
        return configuration
    }

    @Test func outputNodesKeepTheImagesTheyReceivedAlsoFromTheCache() async throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let engine = try LoomEngine(configuration: configuration())
        let document = try engine.loader.load(json: JSONValue(parsing: """
            {"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 4, "batch_size": 2, "color": 16711680}},
             "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}
            """))
        for run in ["executed", "cached"] {
            let outcome = try await engine.run(document)
            #expect(outcome.succeeded, "\(outcome.status)")
            let image = try #require(outcome.outputNodeInputs["2"]?["images"]?.first as? Image, "\(run)")
            #expect((image.batchCount, image.width, image.height, image.channels) == (2, 8, 4, 3), "\(run)")
            #expect(Array(image.pixels[0..<3]) == [1, 0, 0], "\(run): red")
            if run == "cached" { #expect(outcome.executedNodes.isEmpty) }
        }
    }

    @Test func configurationLaysOutFoldersAsTheCommandLineDoes() async throws {
        var configuration = configuration()
        configuration.outputDirectory = base.appendingPathComponent("elsewhere").path
        configuration.cachePolicy = .leastRecentlyUsed(count: 3)
        let engine = try LoomEngine(configuration: configuration)
        let folders = try #require(engine.resources.get(FolderPaths.self))
        #expect(folders.input == base.appendingPathComponent("input").path)
        #expect(folders.output == base.appendingPathComponent("elsewhere").path)
        let cache = await engine.executor.cache
        #expect(cache is MemoryOutputCache, "no disk directory, no disk layer")

        configuration.extraModelPathsFiles = [base.appendingPathComponent("missing.yaml").path]
        #expect(throws: (any Error).self) { try LoomEngine(configuration: configuration) }
    }
}

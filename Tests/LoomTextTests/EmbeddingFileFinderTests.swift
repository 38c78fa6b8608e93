import Foundation
import Testing
@testable import LoomText

@Suite final class EmbeddingFileFinderTests {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-embeddings-\(UUID().uuidString)")
        for path in ["first/plain", "first/style.pt", "second/style.safetensors", "second/nested/deep.bin", "outside.pt"] {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data([0]).write(to: url)
        }
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    var finder: EmbeddingFileFinder {
        EmbeddingFileFinder(directories: [root.appendingPathComponent("first"), root.appendingPathComponent("second")])
    }

    @Test func triesTheNameThenEachExtensionInDirectoryOrder() {
        #expect(finder.file(named: "plain")?.lastPathComponent == "plain")
        #expect(finder.file(named: "style")?.path == root.appendingPathComponent("first/style.pt").path)
        #expect(finder.file(named: "style.safetensors")?.path == root.appendingPathComponent("second/style.safetensors").path)
        #expect(finder.file(named: "missing") == nil)
    }

    @Test func searchesSubdirectoriesButNeverOutside() {
        #expect(finder.file(named: "deep")?.lastPathComponent == "deep.bin")
        #expect(finder.file(named: "nested/deep")?.lastPathComponent == "deep.bin")
        #expect(finder.file(named: "../outside") == nil)
        #expect(finder.file(named: root.appendingPathComponent("first/plain").path) == nil)
        #expect(finder.expandedDirectories().map(\.lastPathComponent).contains("nested"))
    }
}

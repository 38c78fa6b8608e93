import Foundation
import Testing

/// Runs the `loom` executable that `swift build` placed beside the test bundle.
struct LoomProcess {
    static var executable: URL {
        var directory = Bundle.main.bundleURL
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("loom").path),
            directory.path != "/"
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("loom")
    }

    /// Tests never touch the user's own disk cache.
    static let cacheDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cli-cache-\(UUID().uuidString)")

    static func run(_ arguments: [String], cacheDirectory: URL = cacheDirectory) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["LOOM_CACHE_DIR": cacheDirectory.path]) { $1 }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

@Suite(.serialized) struct CommandLineTests {
    let graph = repositoryRoot.appendingPathComponent("graphs/hello-strings.yaml").path

    @Test func runPrintsOutputsAndSucceeds() throws {
        let result = try LoomProcess.run(["run", graph])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("Hello, from Loom"))
        #expect(result.output.contains("4 executed"))
    }

    @Test func timingsListEachExecutedNodeAndThePeakMemory() throws {
        let result = try LoomProcess.run(["run", graph, "--timings", "--cache-none"])
        #expect(result.status == 0, "\(result.error)")
        let table = result.error.split(separator: "\n").filter { $0.contains("%") }
        #expect(table.count == 4, "one row per executed node: \(result.error)")
        #expect(result.error.contains("peak resident"))
    }

    @Test func aSecondProcessReusesTheDiskCache() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        let first = try LoomProcess.run(["run", graph], cacheDirectory: cache)
        #expect(first.output.contains("4 executed, 0 cached"))
        let second = try LoomProcess.run(["run", graph], cacheDirectory: cache)
        #expect(second.output.contains("1 executed, 3 cached"), "only the output node runs again")
        #expect(second.output.contains("Hello, from Loom"))
        let stats = try LoomProcess.run(["cache", "stats"], cacheDirectory: cache)
        #expect(stats.output.contains("3 outputs"))
        let uncached = try LoomProcess.run(["run", graph, "--cache-none"], cacheDirectory: cache)
        #expect(uncached.output.contains("4 executed, 0 cached"))
        #expect(try LoomProcess.run(["cache", "clear"], cacheDirectory: cache).status == 0)
        #expect(try LoomProcess.run(["run", graph], cacheDirectory: cache).output.contains("4 executed"))
    }

    @Test func convertRoundTripsThroughEveryFormat() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = directory.appendingPathComponent("flow.json").path
        let ui = directory.appendingPathComponent("flow-ui.json").path
        let yaml = directory.appendingPathComponent("flow.yaml").path
        #expect(try LoomProcess.run(["convert", graph, "--to", "api", "-o", api]).status == 0)
        #expect(try LoomProcess.run(["convert", api, "--to", "ui", "-o", ui]).status == 0)
        #expect(try LoomProcess.run(["convert", ui, "-o", yaml]).status == 0)
        let result = try LoomProcess.run(["run", yaml])
        #expect(result.status == 0)
        #expect(result.output.contains("Hello, from Loom"))
    }

    @Test func invalidWorkflowExitsWithTwoAndNamesTheProblem() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).yaml")
        try "n:\n  node: PrimitiveInt\n  value: abc\nshow:\n  node: PreviewAny\n  source: $n.INT\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try LoomProcess.run(["validate", file.path])
        #expect(result.status == 2)
        #expect(result.error.contains("node n PrimitiveInt"))
        #expect(result.error.contains("Failed to convert an input value to a INT value"))
        let json = try LoomProcess.run(["validate", "--json", file.path])
        #expect(json.output.contains("\"type\": \"prompt_outputs_failed_validation\""))
    }

    @Test func modelsListsDetectedArchitectures() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-models-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/models")
        for (folder, file) in [("diffusion_models", "flux-fill-tiny.safetensors"), ("vae", "flux-ae-tiny-bf16.safetensors"), ("unet", "flux-dev-tiny-Q8_0.gguf")] {
            let directory = root.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        }
        let result = try LoomProcess.run(["models", "--models-dir", root.path])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("diffusion_models/flux-fill-tiny.safetensors  Flux fill"))
        #expect(result.output.contains("diffusion_models/flux-dev-tiny-Q8_0.gguf  Flux dev"), "the legacy unet folder is searched too")
        #expect(result.output.contains("vae/flux-ae-tiny-bf16.safetensors  AutoencoderKL"))
        // run takes the same model options.
        let workflow = root.appendingPathComponent("flow.yaml")
        try "n:\n  node: PrimitiveInt\n  value: 1\nshow:\n  node: PreviewAny\n  source: $n.INT\n".write(to: workflow, atomically: true, encoding: .utf8)
        #expect(try LoomProcess.run(["run", workflow.path, "--models-dir", root.path]).status == 0)
    }

    @Test func nodesJSONIsObjectInfo() throws {
        let result = try LoomProcess.run(["nodes", "--json", "PreviewAny"])
        #expect(result.status == 0)
        #expect(result.output.contains("\"output_node\": true"))
        #expect(try LoomProcess.run(["nodes", "NoSuchNode"]).status != 0)
    }
}

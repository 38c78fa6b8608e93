import ArgumentParser
import Foundation
import Loom

@main
struct LoomCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Run ComfyUI workflows headless: API JSON, UI JSON, YAML or a PNG that embeds one.",
        subcommands: [RunCommand.self, ValidateCommand.self, ConvertCommand.self, NodesCommand.self])
}

/// ComfyUI's spelling of the options that choose folders and caching.
struct EngineOptions: ParsableArguments {
    @Option(help: "Cache at most N node outputs across runs, as ComfyUI's --cache-lru.")
    var cacheLru: Int?

    @Flag(help: "Keep no outputs between runs, as ComfyUI's --cache-none.")
    var cacheNone = false

    func makeEngine() -> LoomEngine {
        let policy: CachePolicy =
            cacheNone ? .none : cacheLru.map { .leastRecentlyUsed(count: $0) } ?? .unbounded
        return LoomEngine(cachePolicy: policy)
    }
}

/// Validation and format errors end the command with a readable message and a distinct exit code.
enum ExitStatus {
    static let executionFailed: Int32 = 1
    static let invalidWorkflow: Int32 = 2
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

func loadDocument(_ path: String, engine: LoomEngine) throws -> WorkflowDocument {
    do {
        return try engine.load(contentsOf: URL(fileURLWithPath: path))
    } catch {
        printError("error: \(error)")
        throw ExitCode(ExitStatus.invalidWorkflow)
    }
}

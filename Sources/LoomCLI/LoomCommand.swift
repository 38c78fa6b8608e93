import ArgumentParser
import Foundation
import Loom

@main
struct LoomCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Run ComfyUI workflows headless: API JSON, UI JSON, YAML or a PNG that embeds one.",
        subcommands: [
            RunCommand.self, ValidateCommand.self, ConvertCommand.self, NodesCommand.self, ModelsCommand.self,
            CacheCommand.self, BenchCommand.self, ServeCommand.self,
        ])
}

/// ComfyUI's spelling of the options that choose folders and caching, plus Loom's disk cache.
struct EngineOptions: ParsableArguments {
    @Option(help: "Cache at most N node outputs in memory, as ComfyUI's --cache-lru.")
    var cacheLru: Int?

    @Option(help: ArgumentHelp("Keep cached outputs within this many GB of memory, evicting large, old ones first.", valueName: "GB"))
    var cacheRam: Double?

    @Flag(help: "Cache nothing, in memory or on disk, as ComfyUI's --cache-none.")
    var cacheNone = false

    @OptionGroup var disk: DiskCacheOptions

    @OptionGroup var models: ModelOptions

    @OptionGroup var folders: FolderOptions

    func makeEngine() throws -> LoomEngine {
        var configuration = LoomEngine.Configuration()
        configuration.cachePolicy =
            if cacheNone { .none }
            else if let cacheLru { .leastRecentlyUsed(count: cacheLru) }
            else if let cacheRam { .memoryBudget(bytes: Int(cacheRam * 1_073_741_824)) }
            else { .unbounded }
        configuration.diskCacheDirectory = cacheNone || disk.noDiskCache ? nil : disk.directory
        configuration.diskCacheByteLimit = disk.byteLimit
        configuration.baseDirectory = folders.baseDirectory
        configuration.inputDirectory = folders.inputDirectory
        configuration.outputDirectory = folders.outputDirectory
        configuration.tempDirectory = folders.tempDirectory
        configuration.userDirectory = folders.userDirectory
        configuration.modelsDirectory = models.modelsDir
        configuration.extraModelPathsFiles = models.extraModelPathsConfig
        do {
            return try LoomEngine(configuration: configuration)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// Where outputs persist between runs, so an edited workflow re-runs only what changed.
struct DiskCacheOptions: ParsableArguments {
    @Option(help: "The on-disk output cache (default: $LOOM_CACHE_DIR/outputs or ~/.cache/loom/outputs).")
    var cacheDirectory: String?

    @Option(help: ArgumentHelp("Keep the on-disk output cache under this many GB.", valueName: "GB"))
    var diskCacheSize: Double = 4

    @Flag(help: "Do not read or write the on-disk output cache.")
    var noDiskCache = false

    var directory: URL { cacheDirectory.map(URL.init(fileURLWithPath:)) ?? DiskOutputStore.defaultDirectory }
    var byteLimit: Int { Int(diskCacheSize * 1_073_741_824) }
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

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

    @OptionGroup var limits: LimitOptions

    @OptionGroup var models: ModelOptions

    @OptionGroup var folders: FolderOptions

    func validate() throws {
        if let cacheRam { _ = try byteCount(cacheRam, unit: 1_073_741_824, flag: "--cache-ram") }
        if let cacheLru, cacheLru < 0 { throw ValidationError("--cache-lru must not be negative") }
    }

    func makeEngine() throws -> LoomEngine {
        var configuration = LoomEngine.Configuration()
        configuration.cachePolicy =
            if cacheNone { .none }
            else if let cacheLru { .leastRecentlyUsed(count: cacheLru) }
            else if let cacheRam { .memoryBudget(bytes: try byteCount(cacheRam, unit: 1_073_741_824, flag: "--cache-ram")) }
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
            let engine = try LoomEngine(configuration: configuration)
            engine.resources.set(limits.resourceLimits)
            return engine
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// How large the images and tensors a node may make are; past a limit a node fails instead of exhausting memory.
struct LimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The most pixels (width × height) in one image or mask, decoded files included.", valueName: "N"))
    var maxImagePixels = ResourceLimits.standard.pixelsPerImage

    @Option(help: ArgumentHelp("The most pixels in one batch of images or masks (all frames of an animated file).", valueName: "N"))
    var maxBatchPixels = ResourceLimits.standard.pixelsPerBatch

    @Option(help: ArgumentHelp("The most memory one image batch, latent or other tensor may take.", valueName: "MB"))
    var maxTensorMb = ResourceLimits.standard.bytesPerTensor >> 20

    @Option(help: ArgumentHelp("The most memory the images, latents and other outputs of one prompt's nodes may hold together.", valueName: "MB"))
    var maxPromptMemoryMb = ResourceLimits.standard.bytesPerPrompt >> 20

    func validate() throws {
        guard maxImagePixels > 0, maxBatchPixels > 0, (1...(1 << 40)).contains(maxTensorMb),
            (1...(1 << 40)).contains(maxPromptMemoryMb)
        else {
            throw ValidationError(
                "--max-image-pixels, --max-batch-pixels, --max-tensor-mb and --max-prompt-memory-mb must be positive (the sizes at most 2^40 MB)")
        }
    }

    var resourceLimits: ResourceLimits {
        ResourceLimits(
            pixelsPerImage: maxImagePixels, pixelsPerBatch: maxBatchPixels, bytesPerTensor: maxTensorMb << 20,
            bytesPerPrompt: maxPromptMemoryMb << 20)
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
    var byteLimit: Int { (try? byteCount(diskCacheSize, unit: 1_073_741_824, flag: "--disk-cache-size")) ?? 0 }

    func validate() throws {
        _ = try byteCount(diskCacheSize, unit: 1_073_741_824, flag: "--disk-cache-size")
    }
}

/// Validation and format errors end the command with a readable message and a distinct exit code.
enum ExitStatus {
    static let executionFailed: Int32 = 1
    static let invalidWorkflow: Int32 = 2
}

/// A problem with what the command was asked to do, found while it runs: reported on one line with exit status 2,
/// as an invalid workflow is.
func usageFailure(_ message: String) -> ExitCode {
    printError("error: \(message)")
    return ExitCode(ExitStatus.invalidWorkflow)
}

/// A size in GB or MB from a flag as bytes, or a usage error for values that are negative, not finite or beyond
/// what a machine holds.
func byteCount(_ value: Double, unit: Double, flag: String) throws -> Int {
    let bytes = value * unit
    guard bytes.isFinite, bytes >= 0, bytes < 0x1p62 else {
        throw ValidationError("\(flag) \(value) is not a size Loom can use")
    }
    return Int(bytes)
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

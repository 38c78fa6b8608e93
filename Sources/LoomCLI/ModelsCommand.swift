import ArgumentParser
import Foundation
import Loom

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model files Loom finds, with the architecture read from their tensors, dtype and size.")

    @Argument(help: "Only these folders (checkpoints, diffusion_models, text_encoders, vae, ...).")
    var folders: [String] = []

    @Flag(help: "Print the listing as JSON.")
    var json = false

    @OptionGroup var modelOptions: ModelOptions

    func run() async throws {
        let directories = try modelOptions.directories()
        let rows = ModelListing.rows(in: directories, folders: folders.isEmpty ? nil : folders)
        if json {
            let entries: [JSONValue] = rows.map { row in
                [
                    "folder": .string(row.folder), "name": .string(row.name), "path": .string(row.path),
                    "format": row.format.map { .string("\($0)") } ?? .null,
                    "architectures": .array(row.architectures.map(JSONValue.string)), "dtype": .string(row.dataType),
                    "bytes": .int(row.byteCount), "problem": row.problem.map(JSONValue.string) ?? .null,
                ]
            }
            print(JSONValue.array(entries).jsonText())
            return
        }
        guard !rows.isEmpty else {
            let searched = (folders.isEmpty ? Array(directories.searchPaths.keys) : folders).sorted()
                .flatMap { directories.searchedLocations(for: $0) }
            print("no model files found; searched: \(searched.joined(separator: ", "))")
            return
        }
        for row in rows {
            let size = ByteCountFormatter.string(fromByteCount: Int64(row.byteCount), countStyle: .file)
            let kind = row.problem.map { "unreadable: \($0)" } ?? row.architectures.joined(separator: " + ")
            print("\(row.folder)/\(row.name)  \(kind)  \(row.dataType)  \(size)")
        }
    }
}

/// Where models are found, in ComfyUI's spelling.
struct ModelOptions: ParsableArguments {
    @Option(help: "The models folder, laid out as ComfyUI's models/ (default: $LOOM_MODELS_DIR, or models/ in the base directory).")
    var modelsDir: String?

    @Option(help: "ComfyUI's extra_model_paths.yaml, so an existing install's models are used as they are (repeatable).")
    var extraModelPathsConfig: [String] = []

    /// With no models folder named, `models` under the base directory, as ComfyUI does.
    func directories(root base: String = ".") throws -> ModelDirectories {
        let root = ModelDirectories.modelsRoot(option: modelsDir, fallback: (base as NSString).appendingPathComponent("models"))
        do {
            return try ModelDirectories(modelsRoot: root, extraModelPathsFiles: extraModelPathsConfig)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

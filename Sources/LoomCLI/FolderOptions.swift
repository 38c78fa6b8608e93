import ArgumentParser
import Loom

/// Where LoadImage reads and SaveImage and PreviewImage write, with ComfyUI's option names.
struct FolderOptions: ParsableArguments {
    @Option(help: "The base of the input, output, temp and user folders (default: the current directory).")
    var baseDirectory: String = "."

    @Option(help: "The folder LoadImage reads from (default: <base>/input).")
    var inputDirectory: String?

    @Option(help: "The folder SaveImage writes to (default: <base>/output).")
    var outputDirectory: String?

    @Option(help: "The folder PreviewImage writes to (default: <base>/temp).")
    var tempDirectory: String?

    @Option(help: "The user folder (default: <base>/user).")
    var userDirectory: String?

    var folders: FolderPaths {
        FolderPaths(
            base: baseDirectory, input: inputDirectory, output: outputDirectory, temp: tempDirectory,
            user: userDirectory)
    }
}

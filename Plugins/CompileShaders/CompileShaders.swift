import Foundation
import PackagePlugin

/// Compiles every shader variant listed in `shaders/variants.txt` to SPIR-V during `swift build`
/// and hands the result to the target as one generated Swift source file.
@main
struct CompileShaders: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let shaders = context.package.directoryURL.appending(path: "shaders")
        let sources = try FileManager.default.contentsOfDirectory(at: shaders, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
        let output = context.pluginWorkDirectoryURL.appending(path: "Shaders.generated.swift")
        let glslang = try glslangValidator(context)
        let embedder = try context.tool(named: "ShaderEmbedder")
        return [
            .buildCommand(
                displayName: "Compiling the shader variants of shaders/variants.txt to SPIR-V",
                executable: embedder.url,
                arguments: [
                    glslang.path(),
                    shaders.path(),
                    context.pluginWorkDirectoryURL.appending(path: "spirv").path(),
                    output.path(),
                ],
                inputFiles: sources + [glslang],
                outputFiles: [output]
            )
        ]
    }
}

struct MissingCompiler: Error, CustomStringConvertible {
    var description: String { "glslangValidator not found on PATH; install it (apt: glslang-tools)" }
}

/// SwiftPM only offers tools from package dependencies on Linux, so look on PATH as well.
func glslangValidator(_ context: PluginContext) throws -> URL {
    if let tool = try? context.tool(named: "glslangValidator") { return tool.url }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let directories = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin"]
    for directory in directories {
        let candidate = URL(fileURLWithPath: directory).appending(path: "glslangValidator")
        if FileManager.default.isExecutableFile(atPath: candidate.path()) { return candidate }
    }
    throw MissingCompiler()
}

import Foundation

/// ComfyUI's web frontend as installed from PyPI (`pip install comfyui-frontend-package`): the package's
/// `static` folder, found by asking the `python3` on PATH, as ComfyUI finds it when started without
/// `--front-end-root`.
enum InstalledFrontEnd {
    static let installCommand = "pip install comfyui-frontend-package"

    private static let script = """
        import comfyui_frontend_package, os
        print(os.path.join(os.path.dirname(comfyui_frontend_package.__file__), 'static'))
        """

    /// The folder, or nil when Python or the package is missing or the folder has no index.html.
    static func locate() -> URL? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let path = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            FileManager.default.fileExists(atPath: path + "/index.html")
        else { return nil }
        return URL(fileURLWithPath: path, isDirectory: true)
    }
}

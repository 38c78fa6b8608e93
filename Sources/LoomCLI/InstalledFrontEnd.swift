import Foundation

/// ComfyUI's web frontend as installed from PyPI (`pip install comfyui-frontend-package`): the package's
/// `static` folder, found by asking the `python3` on PATH, as ComfyUI finds it when started without
/// `--front-end-root`; and the workflow templates (`pip install comfyui-workflow-templates`) that its
/// template browser shows.
enum InstalledFrontEnd {
    static let installCommand = "pip install comfyui-frontend-package"

    private static let frontEndScript = """
        import comfyui_frontend_package, os
        print(os.path.join(os.path.dirname(comfyui_frontend_package.__file__), 'static'))
        """

    /// Every `templates` folder of the installed comfyui-workflow-templates packages (one package before
    /// 0.3, a JSON package and media packages since), one per line.
    private static let templatesScript = """
        import importlib, os, pkgutil
        for name in sorted(m.name for m in pkgutil.iter_modules() if m.name.startswith('comfyui_workflow_templates')):
            try:
                module = importlib.import_module(name)
            except Exception:
                continue
            for directory in getattr(module, '__path__', []):
                if os.path.isdir(os.path.join(directory, 'templates')):
                    print(os.path.join(directory, 'templates'))
        """

    /// The folder, or nil when Python or the package is missing or the folder has no index.html.
    static func locate() -> URL? {
        guard let path = pythonOutput(frontEndScript)?.trimmingCharacters(in: .whitespacesAndNewlines),
            FileManager.default.fileExists(atPath: path + "/index.html")
        else { return nil }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    /// The templates folders; empty when Python or the packages are missing.
    static func templateRoots() -> [URL] {
        (pythonOutput(templatesScript) ?? "").split(separator: "\n").map {
            URL(fileURLWithPath: String($0), isDirectory: true)
        }
    }

    /// What `script` prints when the `python3` on PATH runs it successfully.
    private static func pythonOutput(_ script: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(data: data, encoding: .utf8)
    }
}

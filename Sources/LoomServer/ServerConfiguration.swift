import Foundation

/// How a Loom server listens and where it keeps files; the CLI fills it from ComfyUI's flag spellings.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var directories: ServerDirectories
    /// The largest request body accepted, uploads included (ComfyUI's `--max-upload-size`, default 100 MB).
    public var maxUploadBytes: Int
    /// With `--enable-cors-header`: the `Access-Control-Allow-Origin` value. Without it, browser requests from
    /// another origin to a loopback server are refused, as ComfyUI does.
    public var corsOrigin: String?
    /// A folder of static web UI files served at `/`.
    public var frontEndRoot: URL?
    /// Finished prompts kept in the history, oldest dropped first.
    public var maxHistory: Int
    /// The `templates` folders of the installed `comfyui-workflow-templates` packages, served at `/templates`.
    public var templateRoots: [URL] = []

    public init(
        host: String = "127.0.0.1", port: Int = 8188, directories: ServerDirectories,
        maxUploadBytes: Int = 100 * 1024 * 1024, corsOrigin: String? = nil, frontEndRoot: URL? = nil,
        maxHistory: Int = 10_000
    ) {
        self.host = host
        self.port = port
        self.directories = directories
        self.maxUploadBytes = maxUploadBytes
        self.corsOrigin = corsOrigin
        self.frontEndRoot = frontEndRoot
        self.maxHistory = maxHistory
    }
}

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
    /// When set, every request but those for the web UI's static files must carry this token (see
    /// `TokenAuthMiddleware`).
    public var authToken: String?
    /// Names besides loopback and the listen address that requests may give as `Host` (and `Origin`): the
    /// machine's DNS names, a reverse proxy's.
    public var allowedHosts: [String] = []
    public var connectionLimits = ConnectionLimits()

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

    /// Whether only this machine can reach the server.
    public var listensOnLoopbackOnly: Bool { Self.isLoopback(host) }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return bare == "localhost" || bare.hasPrefix("127.") || bare == "::1"
    }
}

import ArgumentParser
import Foundation
import Logging
import Loom
import LoomServer

/// `loom serve`: a ComfyUI-compatible server, started with ComfyUI's own flag spellings so launch scripts carry over.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve ComfyUI's HTTP and WebSocket API, with a queue and history that survive restarts.",
        discussion: """
            --listen [IP]                 Listen on IP (default 127.0.0.1); a bare --listen listens on all interfaces (0.0.0.0).
            --enable-cors-header [ORIGIN] Allow cross-origin requests from ORIGIN (a bare flag allows any origin, '*').

            Besides ComfyUI's routes, POST /run (or /api/run) takes the same body as POST /prompt and answers when \
            the prompt has finished, with its history entry.
            """)

    @Option(help: "The port to listen on.")
    var port = 8188

    @Option(help: ArgumentHelp("The largest request or upload accepted.", valueName: "MB"))
    var maxUploadSize: Double = 100

    @Flag(help: "Print nothing about the server (requests, startup).")
    var dontPrintServer = false

    @Option(help: ArgumentHelp(
        "How sampling previews are made: none (ComfyUI's default), auto, latent2rgb or taesd. A prompt's "
            + "extra_data.preview_method overrides it; Loom has no TAESD decoder, so taesd and auto use latent2rgb.",
        valueName: "method"))
    var previewMethod: PreviewMethod = .none

    @Option(help: ArgumentHelp(
        "Require this token on every request but the web UI's files: 'Authorization: Bearer TOKEN', ?token=TOKEN, or open the UI once with ?token=TOKEN. Prefer --auth-token-file: arguments are visible to other users.",
        valueName: "TOKEN"))
    var authToken: String?

    @Option(help: ArgumentHelp("Read the token --auth-token takes from the first line of this file.", valueName: "PATH"))
    var authTokenFile: String?

    @Option(help: ArgumentHelp("A name besides loopback and the --listen address that requests may give as Host (a DNS name of this machine, a reverse proxy's). Repeatable.", valueName: "HOST"))
    var allowedHost: [String] = []

    @Option(help: "The most connections open at once; further ones wait until one closes.")
    var maxConnections = ConnectionLimits().maxConnections

    @Option(help: ArgumentHelp("Close a connection that sends nothing for this long.", valueName: "SECONDS"))
    var idleTimeout = 60

    func validate() throws {
        guard maxConnections > 0, (1...86_400).contains(idleTimeout) else {
            throw ValidationError("--max-connections must be positive and --idle-timeout between 1 and 86400 seconds")
        }
        if authToken != nil && authTokenFile != nil { throw ValidationError("give --auth-token or --auth-token-file, not both") }
    }

    /// The token from --auth-token or the first line of --auth-token-file.
    private func token() throws -> String? {
        guard let authTokenFile else { return authToken }
        guard let text = try? String(contentsOfFile: authTokenFile, encoding: .utf8),
            let line = text.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }),
            !line.isEmpty
        else { throw usageFailure("cannot read a token from '\(authTokenFile)'") }
        return line
    }

    @Option(
        help: """
            A folder of static web UI files to serve at /. By default, ComfyUI's frontend when the Python package is \
            installed (\(InstalledFrontEnd.installCommand)).
            """)
    var frontEndRoot: String?

    @OptionGroup var engineOptions: EngineOptions

    /// `--listen` and `--enable-cors-header` take an optional value, which ArgumentParser options cannot express.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var optionalValueFlags: [String] = []

    func run() async throws {
        let flags = try OptionalValueFlags(optionalValueFlags)
        // The server's folders are the engine's, so uploads land where LoadImage looks.
        let paths = engineOptions.folders.folders
        let directories = ServerDirectories(
            base: Self.folder(paths.base), input: Self.folder(paths.input), output: Self.folder(paths.output),
            temp: Self.folder(paths.temp), user: Self.folder(paths.user))
        let webUI = frontEndRoot.map(Self.folder) ?? InstalledFrontEnd.locate()
        if webUI == nil && !dontPrintServer {
            printError(
                "note: no web UI to serve; install it with '\(InstalledFrontEnd.installCommand)' or pass --front-end-root"
            )
        }
        var configuration = ServerConfiguration(
            host: flags.listen ?? "127.0.0.1", port: port, directories: directories,
            maxUploadBytes: try byteCount(maxUploadSize, unit: 1024 * 1024, flag: "--max-upload-size"), corsOrigin: flags.corsOrigin, frontEndRoot: webUI)
        configuration.authToken = try token()
        configuration.allowedHosts = allowedHost
        configuration.connectionLimits.maxConnections = maxConnections
        configuration.connectionLimits.idleTimeout = .seconds(idleTimeout)
        if configuration.authToken == nil, !configuration.listensOnLoopbackOnly {
            printError(
                "WARNING: listening on \(configuration.host) without --auth-token: anyone who can reach port \(port) can queue prompts, upload files and read, change and delete your outputs and user data. Pass --auth-token-file, or listen on 127.0.0.1.")
        }
        Self.raiseOpenFileLimit()
        configuration.templateRoots = InstalledFrontEnd.templateRoots()
        var logger = Logger(label: "loom.server")
        logger.logLevel = dontPrintServer ? .critical : .info
        if previewMethod == .taesd {
            logger.info("Loom has no TAESD decoder; --preview-method taesd previews with latent2rgb")
        }
        let engine = try engineOptions.makeEngine()
        engine.resources.set(previewMethod)
        let server = try LoomServer(
            engine: engine, configuration: configuration,
            modelFolders: try engineOptions.models.directories(root: paths.base), logger: logger)
        try await server.run { [dontPrintServer] host, port in
            guard !dontPrintServer else { return }
            // Written unbuffered: scripts and tests read the port from this line while the server runs.
            let shown = host == "0.0.0.0" ? "127.0.0.1" : host
            FileHandle.standardOutput.write(Data("To see the GUI go to: http://\(shown):\(port)\n".utf8))
        }
    }

    private static func folder(_ path: String) -> URL { URL(fileURLWithPath: path, isDirectory: true) }

    /// Open connections and files share one descriptor limit, often 1024 by default; the hard limit leaves room
    /// for --max-connections clients and the files prompts read.
    private static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// ComfyUI's `--listen [IP]` and `--enable-cors-header [ORIGIN]`, read from the arguments ArgumentParser left over.
struct OptionalValueFlags {
    var listen: String?
    var corsOrigin: String?

    init(_ arguments: [String]) throws {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let (name, inlineValue) = Self.split(argument)
            let next = index + 1 < arguments.count && !arguments[index + 1].hasPrefix("-") ? arguments[index + 1] : nil
            let value = inlineValue ?? next
            switch name {
            case "--listen":
                // ComfyUI accepts a comma-separated list such as "0.0.0.0,::"; Loom binds one address.
                let addresses = (value ?? "0.0.0.0").split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                listen = addresses.first ?? "0.0.0.0"
                if addresses.count > 1 { printError("note: loom serve listens on one address; using \(listen!)") }
            case "--enable-cors-header": corsOrigin = value ?? "*"
            default: throw ValidationError("unknown argument '\(argument)'")
            }
            index += inlineValue == nil && next != nil ? 2 : 1
        }
    }

    private static func split(_ argument: String) -> (String, String?) {
        guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }
}

extension PreviewMethod: ExpressibleByArgument {}

import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import Loom
import NIOCore

/// A ComfyUI-compatible server over one `LoomEngine`: the HTTP API (every route also under `/api`), the
/// `/ws` WebSocket, and a queue and history that persist under the user directory.
///
/// Routes: `POST/GET /prompt`, `GET/POST /queue`, `GET /history[/{id}]`, `POST /history`, `POST /interrupt`,
/// `POST /free`, `GET /object_info[/{class}]`, `GET /system_stats`, `/features`, `/embeddings`, `/extensions`,
/// `/models[/{folder}]`, `GET /view`, `POST /upload/image|mask`, the web frontend's `/users`, `/settings`,
/// `/userdata`, `/jobs[/{id}[/cancel]]`, the frontend's model, `/internal` and extension routes, `/templates/*`, and
/// Loom's blocking `POST /run`. Prompts run one at a time in queue order on the shared engine.
public struct LoomServer: Sendable {
    public let engine: LoomEngine
    public let configuration: ServerConfiguration
    public let queue: PromptQueue
    public let clients: ClientHub
    public let imageFolders: any ImageFolders
    public let modelFolders: any ModelFolders
    /// What the server logged lately, for `/internal/logs`.
    public let logs: LogBuffer
    let logger: Logger

    /// Restores the queue and history saved under `configuration.directories.user`.
    public init(
        engine: LoomEngine, configuration: ServerConfiguration, imageFolders: (any ImageFolders)? = nil,
        modelFolders: (any ModelFolders)? = nil, logger: Logger = Logger(label: "loom.server")
    ) throws(ServerSetupError) {
        try configuration.directories.createAll()
        self.engine = engine
        self.configuration = configuration
        self.imageFolders = imageFolders ?? configuration.directories
        self.modelFolders = modelFolders ?? ModelDirectories(modelsRoot: configuration.directories.models.path)
        let clients = ClientHub()
        self.clients = clients
        let logs = LogBuffer { entries, subscribers in
            let message = ServerMessage(type: "logs", data: ["entries": .array(entries.map(\.json)), "size": .null])
            for client in subscribers { clients.send(message, to: client) }
        }
        self.logs = logs
        self.logger = Logger(label: logger.label) { [handler = logger.handler, level = logger.logLevel] _ in
            MultiplexLogHandler([handler, LogBuffer.Handler(buffer: logs, logLevel: level)])
        }
        queue = PromptQueue(
            store: QueueStore(directory: configuration.directories.queueState), maxHistory: configuration.maxHistory,
            logger: self.logger
        ) { remaining in
            clients.broadcast(.status(queueRemaining: remaining))
        }
    }

    /// The application to run: routes, the WebSocket endpoint and the prompt worker as one service.
    /// `onServerRunning` receives the listening channel, whose local address tells the port when it was 0.
    public func makeApplication(
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        router.add(middleware: MethodNotAllowedMiddleware())
        if let origin = configuration.corsOrigin {
            router.add(middleware: CORSHeaderMiddleware(allowedOrigin: origin))
        }
        let checksOrigin = configuration.corsOrigin == nil
        router.add(middleware: HostOriginMiddleware(
            listenHost: configuration.host, allowedHosts: configuration.allowedHosts, checksOrigin: checksOrigin))
        webSocketRouter.add(middleware: HostOriginMiddleware(
            listenHost: configuration.host, allowedHosts: configuration.allowedHosts, checksOrigin: checksOrigin))
        if let token = configuration.authToken {
            let frontEndRoot = configuration.frontEndRoot
            router.add(middleware: TokenAuthMiddleware(token: token) { path in Self.isStaticFile(path, in: frontEndRoot) })
            webSocketRouter.add(middleware: TokenAuthMiddleware(token: token))
        }
        if let frontEndRoot = configuration.frontEndRoot {
            router.add(middleware: FileMiddleware(frontEndRoot.path, searchForIndexHtml: true, logger: logger))
        }
        let userData = UserDataStore(userDirectory: configuration.directories.user)
        for group in [router.group(""), router.group("api")] {
            UserRoutes(server: self, store: userData).register(on: group)
            JobRoutes(server: self).register(on: group)
            JobCancelRoutes(server: self).register(on: group)
            PromptRoutes(server: self).register(on: group)
            QueueRoutes(server: self).register(on: group)
            HistoryRoutes(server: self).register(on: group)
            InfoRoutes(server: self).register(on: group)
            FileRoutes(server: self).register(on: group)
            ModelInfoRoutes(server: self).register(on: group)
            InternalRoutes(server: self).register(on: group)
            ExtensionRoutes(server: self).register(on: group)
        }
        ExtensionRoutes(server: self).registerTemplates(on: router)
        WebSocketRoute(server: self).register(on: webSocketRouter)
        let limits = configuration.connectionLimits
        let http1 = HTTP1Channel.Configuration(
            idleTimeout: TimeAmount(limits.idleTimeout),
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: limits.maxHeaderFieldSize, maxHeaderListSize: limits.maxHeaderListSize,
                maxHeaderFieldCount: limits.maxHeaderFieldCount))
        let webSocketResponder = webSocketRouter.buildResponder()
        let headTimeout = http1.idleTimeout ?? .seconds(60)
        return Application(
            router: router,
            server: HTTPServerBuilder { responder in
                GuardedServerChannel(
                    base: HTTP1WebSocketUpgradeChannel(
                        responder: responder, webSocketResponder: webSocketResponder, configuration: .init(http1: http1)),
                    headTimeout: headTimeout, maxChunkSize: configuration.maxUploadBytes,
                    maxHeadSize: limits.maxHeaderListSize + limits.maxHeaderFieldSize + 8192)
            },
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "Loom",
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
            services: [PromptWorker(engine: engine, queue: queue, clients: clients, logger: logger)],
            onServerRunning: onServerRunning,
            logger: logger)
    }

    /// Whether `path` names a file of the web UI (the folder's `index.html` for a folder), which needs no token.
    static func isStaticFile(_ path: String, in root: URL?) -> Bool {
        guard let root, !path.contains(".."), let decoded = path.removingPercentEncoding else { return false }
        var url = root.appendingPathComponent(String(decoded.drop { $0 == "/" }))
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return false }
        if isDirectory.boolValue { url.appendPathComponent("index.html") }
        return FileManager.default.fileExists(atPath: url.path)
    }

    /// Serves until the process receives SIGINT or SIGTERM; a running prompt is stopped and stays queued.
    /// `onListening` receives the address and port actually bound (the port the system chose for port 0).
    public func run(onListening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in })
        async throws
    {
        try await makeApplication { channel in
            await onListening(configuration.host, channel.localAddress?.port ?? configuration.port)
        }.runService()
    }
}

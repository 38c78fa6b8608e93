import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Loom
import LoomServer
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

/// A Loom server on 127.0.0.1 with a port the system picks and its own base folder, stopped when the test
/// body returns. Requests go through fresh connections, so several can be in flight at once.
struct TestServer: HTTPTestClient {
    let server: LoomServer
    let port: Int
    let directory: URL

    /// A new temporary base folder.
    static func makeDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "loom-server-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `body` against a server on `directory` (a new one by default) and stops the server afterwards,
    /// the way SIGTERM stops `loom serve`.
    static func run<T: Sendable>(
        directory: URL? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }, logLevel: Logger.Level = .warning,
        _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        let directory = try directory ?? makeDirectory()
        var configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0, directories: ServerDirectories(base: directory))
        configure(&configuration)
        var logger = Logger(label: "loom.server.test")
        logger.logLevel = logLevel
        let server = try LoomServer(
            engine: LoomEngine(registry: .serverTests), configuration: configuration, logger: logger)
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = server.makeApplication { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                await group.triggerGracefulShutdown()
                throw TestServerError("the server did not start")
            }
            let result: T
            do {
                result = try await body(TestServer(server: server, port: port, directory: directory))
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    // MARK: WebSocket

    func connect(clientID: String?, firstMessage: String? = nil) async throws -> WebSocketRecorder {
        let query = clientID.map { "?clientId=\($0)" } ?? ""
        let recorder = WebSocketRecorder(url: "ws://127.0.0.1:\(port)/ws\(query)", firstMessage: firstMessage)
        _ = try await recorder.waitFor { $0.type == "status" }
        return recorder
    }
}

struct TestServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension JSONValue {
    /// The ids of a `GET /queue` list: `queue_running` or `queue_pending`.
    func promptIDs(_ list: String) -> [String] {
        (self[list]?.arrayValue ?? []).compactMap { $0.arrayValue?[1].stringValue }
    }
}

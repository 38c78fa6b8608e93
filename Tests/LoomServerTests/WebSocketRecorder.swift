import Foundation
import HummingbirdWSClient
import Logging
import Loom
import LoomServer
import Synchronization

/// A WebSocket client that records every text message it receives until it is closed.
final class WebSocketRecorder: Sendable {
    /// Received messages, shared with the connection task.
    private final class Inbox: Sendable {
        let messages = Mutex<[ServerMessage]>([])
        /// Binary frames (previews), in order.
        let binaries = Mutex<[[UInt8]]>([])
        /// Every frame in arrival order: a text message's type, or `binary:N` with the frame's event type N.
        let arrivals = Mutex<[String]>([])
        /// Why the connection ended early, for failure messages.
        let failure = Mutex<String?>(nil)
    }

    private let inbox = Inbox()
    private let closeSignal: AsyncStream<Void>.Continuation
    private let connection: Task<Void, any Error>

    /// `firstMessage`, when given, is sent as soon as the connection is open (a `feature_flags` handshake).
    init(url: String, firstMessage: String? = nil) {
        let (closeRequests, closeSignal) = AsyncStream<Void>.makeStream()
        self.closeSignal = closeSignal
        connection = Task { [inbox] in
            var logger = Logger(label: "loom.server.test.ws")
            logger.logLevel = .warning
            do {
                try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                    if let firstMessage { try await outbound.write(.text(firstMessage)) }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for try await message in inbound.messages(maxSize: 1 << 22) {
                                if case .binary(let buffer) = message {
                                    let bytes = Array(buffer.readableBytesView)
                                    inbox.binaries.withLock { $0.append(bytes) }
                                    let event = bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) }
                                    inbox.arrivals.withLock { $0.append("binary:\(event)") }
                                    continue
                                }
                                guard case .text(let text) = message, let json = try? JSONValue(parsing: text),
                                    let type = json["type"]?.stringValue, let data = json["data"]?.objectValue
                                else { continue }
                                inbox.messages.withLock { $0.append(ServerMessage(type: type, data: data)) }
                                inbox.arrivals.withLock { $0.append(type) }
                            }
                        }
                        group.addTask { for await _ in closeRequests { return } }
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                inbox.failure.withLock { $0 = "\(error)" }
                throw error
            }
        }
    }

    var messages: [ServerMessage] { inbox.messages.withLock { $0 } }

    var binaryMessages: [[UInt8]] { inbox.binaries.withLock { $0 } }

    /// Text message types and `binary:N` frames, in the order they arrived.
    var arrivals: [String] { inbox.arrivals.withLock { $0 } }

    /// Messages about one prompt, in order.
    func messages(for promptID: String) -> [ServerMessage] {
        messages.filter { $0.data["prompt_id"]?.stringValue == promptID }
    }

    /// Waits, at most `timeout`, for a message that satisfies `predicate`.
    func waitFor(timeout: Duration = .seconds(30), _ predicate: (ServerMessage) -> Bool) async throws -> ServerMessage {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let message = messages.first(where: predicate) { return message }
            try await Task.sleep(for: .milliseconds(10))
        }
        let failure = inbox.failure.withLock { $0 } ?? "none"
        throw TestServerError(
            "no matching WebSocket message within \(timeout); got \(messages.map(\.type)), connection error: \(failure)")
    }

    /// Waits for `executing` with `node: null` for the prompt: its last message.
    func waitForEnd(of promptID: String) async throws {
        _ = try await waitFor {
            $0.type == "executing" && $0.data["node"] == .null && $0.data["prompt_id"]?.stringValue == promptID
        }
    }

    func close() async {
        closeSignal.yield()
        closeSignal.finish()
        _ = try? await connection.value
    }
}

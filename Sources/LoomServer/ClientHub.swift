import Foundation
import Loom
import Synchronization

/// The connected WebSocket clients by `clientId`, so a prompt's messages reach only the client that submitted it
/// and queue status reaches everyone. Sending never waits: each connection drains its own buffer, so a slow or
/// vanished client cannot hold up a run.
public final class ClientHub: Sendable {
    /// What goes out on a connection: JSON messages, and previews as ComfyUI's binary frames.
    enum Frame: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
    }

    private struct Connection {
        var token: UInt64
        var continuation: AsyncStream<Frame>.Continuation
        /// What the client announced in its `feature_flags` message.
        var featureFlags: JSONObject = [:]
    }

    private struct State {
        var connections: [String: Connection] = [:]
        var nextToken: UInt64 = 0
        /// The last `executing` message of a prompt still running, by client, replayed when that client
        /// reconnects so a reloaded page shows which node is running.
        var executing: [String: String] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Registers a connection for `clientID`; a reconnect under the same id replaces the old one, as in ComfyUI.
    func connect(_ clientID: String) -> (token: UInt64, messages: AsyncStream<Frame>) {
        let (stream, continuation) = AsyncStream<Frame>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let token = state.withLock { state in
            state.nextToken += 1
            state.connections[clientID]?.continuation.finish()
            state.connections[clientID] = Connection(token: state.nextToken, continuation: continuation)
            if let executing = state.executing[clientID] { continuation.yield(.text(executing)) }
            return state.nextToken
        }
        return (token, stream)
    }

    /// Removes the connection unless a newer one has taken over the id.
    func disconnect(_ clientID: String, token: UInt64) {
        state.withLock { state in
            guard state.connections[clientID]?.token == token else { return }
            state.connections.removeValue(forKey: clientID)?.continuation.finish()
        }
    }

    /// Records the flags of a client's `feature_flags` handshake, unless a newer connection took over the id.
    func setFeatureFlags(_ flags: JSONObject, for clientID: String, token: UInt64) {
        state.withLock { state in
            guard state.connections[clientID]?.token == token else { return }
            state.connections[clientID]?.featureFlags = flags
        }
    }

    /// Whether the client takes previews as PREVIEW_IMAGE_WITH_METADATA frames.
    func supportsPreviewMetadata(_ clientID: String) -> Bool {
        state.withLock { $0.connections[clientID]?.featureFlags["supports_preview_metadata"] == .bool(true) }
    }

    public func send(_ message: ServerMessage, to clientID: String) {
        let text = message.text
        state.withLock { state in
            if message.type == "executing" {
                state.executing[clientID] = message.data["node"]?.isNull == false ? text : nil
            }
            _ = state.connections[clientID]?.continuation.yield(.text(text))
        }
    }

    /// A binary frame (a step preview) for one client.
    public func send(binary bytes: [UInt8], to clientID: String) {
        state.withLock { state in _ = state.connections[clientID]?.continuation.yield(.binary(bytes)) }
    }

    public func broadcast(_ message: ServerMessage) {
        let text = message.text
        state.withLock { state in
            for connection in state.connections.values { connection.continuation.yield(.text(text)) }
        }
    }

    /// Ends every connection's message stream, so WebSocket handlers return when the server stops.
    func disconnectAll() {
        state.withLock { state in
            for connection in state.connections.values { connection.continuation.finish() }
            state.connections.removeAll()
        }
    }
}

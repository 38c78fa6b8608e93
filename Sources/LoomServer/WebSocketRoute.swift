import Foundation
import Hummingbird
import HummingbirdWebSocket
import Loom

/// `/ws?clientId=`: first a `status` message with the client's `sid`, then queue status broadcasts and the
/// messages of the prompts this client submitted. Closing the socket never stops a prompt.
struct WebSocketRoute {
    let server: LoomServer

    func register(on router: Router<BasicWebSocketRequestContext>) {
        router.ws("ws") { inbound, outbound, context in
            try await serve(inbound: inbound, outbound: outbound, query: context.request.query("clientId"))
        }
        router.ws("api/ws") { inbound, outbound, context in
            try await serve(inbound: inbound, outbound: outbound, query: context.request.query("clientId"))
        }
    }

    private func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, query clientID: String?)
        async throws
    {
        let sid =
            clientID.flatMap { $0.isEmpty ? nil : $0 }
            ?? UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let (token, messages) = server.clients.connect(sid)
        defer { server.clients.disconnect(sid, token: token) }
        try await outbound.write(
            .text(ServerMessage.status(queueRemaining: await server.queue.remaining, sid: sid).text))
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Reading keeps pings answered and notices the close; only a first `feature_flags` message matters.
            group.addTask { try await readClientMessages(inbound, sid: sid, token: token) }
            group.addTask {
                for await frame in messages {
                    switch frame {
                    case .text(let text): try await outbound.write(.text(text))
                    case .binary(let bytes): try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// ComfyUI's handshake: a client's first message may be `{"type": "feature_flags", "data": {...}}`; its
    /// flags are kept for the connection and the server answers with its own. Later messages are ignored.
    private func readClientMessages(_ inbound: WebSocketInboundStream, sid: String, token: UInt64) async throws {
        var isFirst = true
        for try await message in inbound.messages(maxSize: 1 << 20) {
            defer { isFirst = false }
            guard isFirst, case .text(let text) = message,
                let json = try? JSONValue(parsing: Array(text.utf8)), json["type"] == "feature_flags"
            else { continue }
            server.clients.setFeatureFlags(json["data"]?.objectValue ?? [:], for: sid, token: token)
            server.clients.send(ServerMessage(type: "feature_flags", data: FeatureFlags.server(server.configuration)), to: sid)
        }
    }
}

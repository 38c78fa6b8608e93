import Foundation
import Hummingbird
import HummingbirdWebSocket

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
            // Client messages carry nothing Loom uses; reading them keeps pings answered and notices the close.
            group.addTask { for try await _ in inbound {} }
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
}

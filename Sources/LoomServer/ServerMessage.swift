import Foundation
import Loom

/// One WebSocket text frame: ComfyUI's `{"type", "data"}`.
public struct ServerMessage: Sendable, Equatable {
    public var type: String
    public var data: JSONObject

    public init(type: String, data: JSONObject) {
        self.type = type
        self.data = data
    }

    public init(_ event: ExecutionEvent, timestamp: Date = Date()) {
        self.init(type: event.messageType, data: event.messageData(timestamp: timestamp))
    }

    /// The queue length every client sees; `sid` only in the first message on a connection.
    public static func status(queueRemaining: Int, sid: String? = nil) -> ServerMessage {
        var data: JSONObject = ["status": ["exec_info": ["queue_remaining": .int(queueRemaining)]]]
        if let sid { data["sid"] = .string(sid) }
        return ServerMessage(type: "status", data: data)
    }

    public var json: JSONValue { ["type": .string(type), "data": .object(data)] }

    public var text: String { json.jsonText(indent: nil) }
}

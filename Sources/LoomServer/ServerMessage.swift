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

    /// How a prompt that failed before any node ran is reported: `execution_start`, then an `execution_error`
    /// naming no node.
    static func failedBeforeRunning(promptID: String, exceptionType: String, message: String) -> [ServerMessage] {
        let now = JSONValue.int(Int((Date().timeIntervalSince1970 * 1000).rounded()))
        return [
            ServerMessage(type: "execution_start", data: ["prompt_id": .string(promptID), "timestamp": now]),
            ServerMessage(
                type: "execution_error",
                data: [
                    "prompt_id": .string(promptID), "node_id": .null, "node_type": .null, "executed": [],
                    "exception_message": .string(message), "exception_type": .string(exceptionType), "traceback": [],
                    "current_inputs": [:], "current_outputs": [:], "timestamp": now,
                ]),
        ]
    }

    /// The `[type, data]` pair a history entry's `status.messages` keeps.
    var historyRecord: JSONValue { [.string(type), .object(data)] }

    public var json: JSONValue { ["type": .string(type), "data": .object(data)] }

    public var text: String { json.jsonText(indent: nil) }
}

import Foundation

/// What happens while a prompt runs, in the order it happens. The CLI prints these, the server forwards them
/// as ComfyUI WebSocket messages, and embedders observe them.
public enum ExecutionEvent: Sendable {
    case started(promptID: String)
    /// Nodes whose outputs come from the cache this run.
    case cached(promptID: String, nodes: [String])
    /// `node == nil` marks the end of the prompt, as in ComfyUI.
    case executing(promptID: String, node: String?, displayNode: String?)
    case progress(promptID: String, node: String, value: Double, max: Double)
    /// Every started node's progress, after a node starts, reports progress or finishes.
    case progressState(promptID: String, nodes: [NodeProgress])
    /// A picture of the running node's work so far; the server sends it as a binary WebSocket frame.
    case preview(promptID: String, node: String, image: ProgressPreview)
    /// A line of status text for the running node's face (ComfyUI's `send_progress_text`); the server sends it as
    /// a binary WebSocket frame.
    case progressText(promptID: String, node: String, text: String)
    case executed(promptID: String, node: String, displayNode: String, output: JSONObject)
    case succeeded(promptID: String)
    case failed(ExecutionFailure)
    case interrupted(promptID: String, node: String?, nodeType: String?, executed: [String])

    public var promptID: String {
        switch self {
        case .started(let id), .cached(let id, _), .executing(let id, _, _), .progress(let id, _, _, _),
            .progressState(let id, _), .preview(let id, _, _), .progressText(let id, _, _), .executed(let id, _, _, _), .succeeded(let id), .interrupted(let id, _, _, _):
            id
        case .failed(let failure): failure.promptID
        }
    }

    /// ComfyUI's WebSocket message type.
    public var messageType: String {
        switch self {
        case .started: "execution_start"
        case .cached: "execution_cached"
        case .executing: "executing"
        case .progress: "progress"
        case .progressState: "progress_state"
        case .preview: "b_preview"
        case .progressText: "b_progress_text"
        case .executed: "executed"
        case .succeeded: "execution_success"
        case .failed: "execution_error"
        case .interrupted: "execution_interrupted"
        }
    }

    /// The message's `data`, shaped as ComfyUI sends it.
    public func messageData(timestamp: Date = Date()) -> JSONObject {
        let millis = JSONValue.int(Int(timestamp.timeIntervalSince1970 * 1000))
        switch self {
        case .started(let id):
            return ["prompt_id": .string(id), "timestamp": millis]
        case .cached(let id, let nodes):
            return ["nodes": .array(nodes.map(JSONValue.string)), "prompt_id": .string(id), "timestamp": millis]
        case .executing(let id, let node, let display):
            return [
                "node": node.map(JSONValue.string) ?? .null, "display_node": (display ?? node).map(JSONValue.string) ?? .null,
                "prompt_id": .string(id),
            ]
        case .progress(let id, let node, let value, let max):
            return ["value": Self.number(value), "max": Self.number(max), "prompt_id": .string(id), "node": .string(node)]
        case .progressState(let id, let nodes):
            let entries = nodes.map { entry -> (String, JSONValue) in
                let node = JSONValue.string(entry.node)
                return (entry.node, [
                    "value": Self.number(entry.value), "max": Self.number(entry.max), "state": .string(entry.state.rawValue),
                    "node_id": node, "prompt_id": .string(id), "display_node_id": node, "parent_node_id": .null,
                    "real_node_id": node,
                ])
            }
            return ["prompt_id": .string(id), "nodes": .object(JSONObject(entries))]
        case .preview(let id, let node, let image):
            return ["node": .string(node), "prompt_id": .string(id), "width": .int(image.width), "height": .int(image.height)]
        case .progressText(let id, let node, let text):
            return ["node": .string(node), "prompt_id": .string(id), "text": .string(text)]
        case .executed(let id, let node, let display, let output):
            return ["node": .string(node), "display_node": .string(display), "output": .object(output), "prompt_id": .string(id)]
        case .succeeded(let id):
            return ["prompt_id": .string(id), "timestamp": millis]
        case .failed(let failure):
            var data = failure.json
            data["timestamp"] = millis
            return data
        case .interrupted(let id, let node, let nodeType, let executed):
            return [
                "prompt_id": .string(id), "node_id": node.map(JSONValue.string) ?? .null,
                "node_type": nodeType.map(JSONValue.string) ?? .null, "executed": .array(executed.map(JSONValue.string)),
                "timestamp": millis,
            ]
        }
    }

    private static func number(_ value: Double) -> JSONValue {
        value.rounded() == value && abs(value) < 1e15 ? .int(Int(value)) : .double(value)
    }
}

/// A node that failed while running, in ComfyUI's `execution_error` shape.
public struct ExecutionFailure: Error, Sendable, CustomStringConvertible {
    public var promptID: String
    public var nodeID: String
    public var nodeType: String
    public var nodeTitle: String?
    public var executed: [String]
    public var exceptionMessage: String
    public var exceptionType: String
    public var traceback: [String]
    public var currentInputs: JSONObject
    public var currentOutputs: JSONObject

    public var json: JSONObject {
        [
            "prompt_id": .string(promptID), "node_id": .string(nodeID), "node_type": .string(nodeType),
            "executed": .array(executed.map(JSONValue.string)), "exception_message": .string(exceptionMessage),
            "exception_type": .string(exceptionType), "traceback": .array(traceback.map(JSONValue.string)),
            "current_inputs": .object(currentInputs), "current_outputs": .object(currentOutputs),
        ]
    }

    public var description: String {
        let name = nodeTitle.map { "\"\($0)\" (\(nodeType))" } ?? nodeType
        return "node \(nodeID) \(name) failed: \(exceptionMessage)"
    }
}

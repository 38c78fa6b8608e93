import LoomGraph

/// A finished prompt as `GET /history` shows it: `{prompt, outputs, status: {status_str, completed, messages}, meta}`.
public struct HistoryEntry: Sendable, Equatable {
    public var prompt: QueuedPrompt
    /// The UI results of output nodes, by node id.
    public var outputs: JSONObject
    public var succeeded: Bool
    /// Whether the prompt ran to the end; false after an error or an interrupt.
    public var completed: Bool
    /// `[event, data]` pairs: execution_start, execution_cached, and how the prompt ended.
    public var messages: [JSONValue]

    public init(prompt: QueuedPrompt, outputs: JSONObject, succeeded: Bool, completed: Bool, messages: [JSONValue]) {
        self.prompt = prompt
        self.outputs = outputs
        self.succeeded = succeeded
        self.completed = completed
        self.messages = messages
    }

    /// The events ComfyUI keeps in `status.messages`.
    public static let messageTypes: Set<String> = [
        "execution_start", "execution_cached", "execution_success", "execution_error", "execution_interrupted",
    ]

    /// A run's entry: its output nodes' results in the order the nodes ran, as ComfyUI's history lists them.
    public init(prompt: QueuedPrompt, outcome: ExecutionOutcome, messages: [JSONValue]) {
        let ids = outcome.inRunOrder(outcome.outputs.keys)
        self.init(
            prompt: prompt, outputs: JSONObject(ids.map { ($0, .object(outcome.outputs[$0]!)) }),
            succeeded: outcome.succeeded, completed: outcome.succeeded, messages: messages)
    }

    public var json: JSONValue {
        [
            "prompt": prompt.json,
            "outputs": .object(outputs),
            "status": [
                "status_str": .string(succeeded ? "success" : "error"), "completed": .bool(completed),
                "messages": .array(messages),
            ],
            "meta": .object(meta),
        ]
    }

    /// ComfyUI's per-output `meta`: which node a result belongs to (the same node: Loom's ids are not rewritten).
    private var meta: JSONObject {
        JSONObject(
            outputs.keys.map { id in
                (
                    id,
                    [
                        "node_id": .string(id), "display_node": .string(id), "parent_node": .null,
                        "real_node_id": .string(id),
                    ]
                )
            })
    }
}

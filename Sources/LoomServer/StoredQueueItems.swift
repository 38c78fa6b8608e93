import Loom

// Queue items and history entries as the queue store reads them back from disk.

extension QueuedPrompt {
    /// Reads the array form back, as the queue and history files store it.
    init(json: JSONValue) throws(QueueStoreError) {
        guard let items = json.arrayValue, items.count >= 5, let number = items[0].doubleValue,
            let id = items[1].stringValue, let extraData = items[3].objectValue, let outputs = items[4].arrayValue
        else {
            throw QueueStoreError("a queue item must be [number, prompt_id, prompt, extra_data, outputs_to_execute]")
        }
        self.init(
            number: number, id: id, prompt: items[2], extraData: extraData,
            outputsToExecute: outputs.compactMap(\.stringValue))
    }
}

extension HistoryEntry {
    /// Reads an entry back, as the history file stores it.
    init(json: JSONValue) throws(QueueStoreError) {
        guard let status = json["status"], let outputs = json["outputs"]?.objectValue, let prompt = json["prompt"]
        else {
            throw QueueStoreError("a history entry must have prompt, outputs and status")
        }
        self.init(
            prompt: try QueuedPrompt(json: prompt), outputs: outputs,
            succeeded: status["status_str"]?.stringValue == "success",
            completed: status["completed"]?.boolValue ?? false,
            messages: status["messages"]?.arrayValue ?? [])
    }
}

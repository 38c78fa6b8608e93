import Loom

/// A prompt as ComfyUI's `/jobs` API lists it for the frontend's queue panel: `{id, status, priority, create_time,
/// execution_start_time, execution_end_time, outputs_count, previewable_outputs_count, preview_output, ...}`.
struct JobSummary {
    /// Media kinds the frontend can preview, as ComfyUI counts them.
    private static let previewable: Set<String> = ["images", "video", "audio", "3d", "text"]

    let id: String
    let status: String
    var json: JSONObject

    init(queued prompt: QueuedPrompt, running: Bool, includeWorkflow: Bool) {
        id = prompt.id
        status = running ? "in_progress" : "pending"
        json = [
            "id": .string(prompt.id), "status": .string(status), "priority": QueuedPrompt.numberJSON(prompt.number),
            "create_time": prompt.extraData["create_time"] ?? 0, "outputs_count": 0, "previewable_outputs_count": 0,
        ]
        if includeWorkflow { json["workflow"] = ["prompt": prompt.prompt, "extra_data": .object(prompt.extraData)] }
    }

    init(finished entry: HistoryEntry, includeOutputs: Bool) {
        var start: JSONValue = .null
        var end: JSONValue = .null
        var interrupted = false
        var error: JSONValue = .null
        for case .array(let pair) in entry.messages where pair.count == 2 {
            switch pair[0].stringValue {
            case "execution_start": start = pair[1]["timestamp"] ?? .null
            case "execution_success": end = pair[1]["timestamp"] ?? .null
            case "execution_interrupted":
                end = pair[1]["timestamp"] ?? .null
                interrupted = true
            case "execution_error":
                end = pair[1]["timestamp"] ?? .null
                // The frontend's schema wants a node; errors found before any node ran have none.
                if pair[1]["node_id"]?.stringValue != nil { error = pair[1] }
            default: break
            }
        }
        id = entry.prompt.id
        status = entry.succeeded ? "completed" : interrupted ? "cancelled" : "failed"
        let (count, previewable, preview) = Self.summarize(entry.outputs)
        json = [
            "id": .string(id), "status": .string(status), "priority": QueuedPrompt.numberJSON(entry.prompt.number),
            "create_time": entry.prompt.extraData["create_time"] ?? start, "execution_start_time": start,
            "execution_end_time": end, "execution_error": error, "outputs_count": .int(count),
            "previewable_outputs_count": .int(previewable), "preview_output": preview,
        ]
        if case .null = json["create_time"] { json["create_time"] = 0 }
        if includeOutputs {
            json["outputs"] = .object(entry.outputs)
            json["execution_status"] = entry.json["status"]
            json["workflow"] = ["prompt": entry.prompt.prompt, "extra_data": .object(entry.prompt.extraData)]
        }
    }

    /// Output file count, previewable count, and the preview: the first saved (type output) previewable file,
    /// else the first previewable one.
    private static func summarize(_ outputs: JSONObject) -> (Int, Int, JSONValue) {
        var count = 0
        var previewableCount = 0
        var saved: JSONValue?
        var other: JSONValue?
        for (node, result) in outputs {
            for (media, items) in result.objectValue ?? [:] {
                for case .object(var item) in items.arrayValue ?? [] {
                    count += 1
                    guard previewable.contains(media) else { continue }
                    previewableCount += 1
                    item["nodeId"] = .string(node)
                    item["mediaType"] = item["mediaType"] ?? .string(media)
                    if item["type"]?.stringValue == "output" { saved = saved ?? .object(item) }
                    other = other ?? .object(item)
                }
            }
        }
        return (count, previewableCount, saved ?? other ?? .null)
    }
}

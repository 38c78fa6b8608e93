import Loom

/// A prompt accepted by `POST /prompt`, waiting or running: ComfyUI's queue item
/// `[number, prompt_id, prompt, extra_data, outputs_to_execute]`.
public struct QueuedPrompt: Sendable, Equatable {
    /// Lower numbers run first; `front` submissions get negative ones.
    public var number: Double
    public var id: String
    /// The API-format prompt, after any conversion from a UI workflow.
    public var prompt: JSONValue
    /// Includes `client_id` when the submitter gave one, as ComfyUI stores it.
    public var extraData: JSONObject
    public var outputsToExecute: [String]

    public init(number: Double, id: String, prompt: JSONValue, extraData: JSONObject, outputsToExecute: [String]) {
        self.number = number
        self.id = id
        self.prompt = prompt
        self.extraData = extraData
        self.outputsToExecute = outputsToExecute
    }

    /// The WebSocket client that receives this prompt's messages.
    public var clientID: String? { extraData["client_id"]?.stringValue }

    public var json: JSONValue {
        [
            Self.numberJSON(number), .string(id), prompt, .object(extraData),
            .array(outputsToExecute.map(JSONValue.string)),
        ]
    }

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

    /// Whole numbers print without a fraction, as ComfyUI's counter does.
    static func numberJSON(_ number: Double) -> JSONValue {
        number.rounded() == number && abs(number) < 1e15 ? .int(Int(number)) : .double(number)
    }
}

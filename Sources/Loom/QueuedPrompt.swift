import LoomGraph

/// A prompt accepted by `POST /prompt` (or run by a host), waiting or running: ComfyUI's queue item
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

    /// Whole numbers print without a fraction, as ComfyUI's counter does.
    public static func numberJSON(_ number: Double) -> JSONValue {
        number.rounded() == number && abs(number) < 1e15 ? .int(Int(number)) : .double(number)
    }
}

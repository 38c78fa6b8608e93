import Foundation
import Loom

/// A `POST /prompt` body read field by field, so a field of the wrong type is a 400 that names it.
///
/// `prompt` may be an API prompt or a UI workflow as the web UI saves it (converted here, as the browser would);
/// a body that is itself a UI workflow is accepted too. `extra_data` keeps the UI workflow under
/// `extra_pnginfo.workflow` and the submitter under `client_id`, as ComfyUI stores them.
struct PromptSubmission {
    var document: WorkflowDocument
    var clientID: String?
    var promptID: String?
    var number: Double?
    var front: Bool

    /// `extra_data` as the queue stores it.
    var extraData: JSONObject {
        var data = document.runExtraData
        if let clientID { data["client_id"] = .string(clientID) }
        return data
    }

    init(body: JSONValue, loader: WorkflowLoader) throws(ServerError) {
        if UIWorkflow.isUIWorkflow(body) {
            document = try Self.read(prompt: body, loader: loader)
            front = false
            return
        }
        guard let fields = body.objectValue else {
            throw .badRequest(
                "the request body must be a JSON object with a \"prompt\" field, found \(body.pythonTypeName)")
        }
        guard let prompt = fields["prompt"], !prompt.isNull else {
            throw .invalidPrompt(type: "no_prompt", message: "No prompt provided", details: "No prompt provided")
        }
        promptID = try Self.field("prompt_id", in: fields, \.stringValue, expected: "a string")
        if let promptID, UUID(uuidString: promptID)?.uuidString.lowercased() != promptID {
            throw .invalidPrompt(
                type: "invalid_prompt_id", message: "prompt_id must be a valid UUID",
                details:
                    "prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one"
            )
        }
        clientID = try Self.field("client_id", in: fields, \.stringValue, expected: "a string")
        number = try Self.field("number", in: fields, \.doubleValue, expected: "a number")
        front = try Self.field("front", in: fields, \.boolValue, expected: "true or false") ?? false
        let extraData = try Self.field("extra_data", in: fields, \.objectValue, expected: "an object") ?? [:]
        let targets = try Self.field(
            "partial_execution_targets", in: fields, \.arrayValue, expected: "a list of node ids")
        document = try Self.read(prompt: prompt, loader: loader)
        document.extraData = extraData
        if let targets {
            document.partialExecutionTargets = try targets.map { target throws(ServerError) in
                if let id = target.stringValue { return id }
                if let id = target.intValue { return String(id) }
                throw .badRequest("partial_execution_targets must list node ids, found \(target.jsonText(indent: nil))")
            }
        }
    }

    private static func read(prompt: JSONValue, loader: WorkflowLoader) throws(ServerError) -> WorkflowDocument {
        do {
            if UIWorkflow.isUIWorkflow(prompt) { return try loader.load(json: prompt) }
            return WorkflowDocument(prompt: try Prompt(json: prompt), format: .api)
        } catch {
            throw .invalidPrompt(type: "invalid_prompt", message: "Cannot read the prompt", details: error.message)
        }
    }

    /// A field that may be absent or null, and otherwise must have the expected type.
    private static func field<T>(
        _ name: String, in fields: JSONObject, _ read: (JSONValue) -> T?, expected: String
    ) throws(ServerError) -> T? {
        guard let value = fields[name], !value.isNull else { return nil }
        guard let typed = read(value) else {
            throw .badRequest("\(name) must be \(expected), found \(value.pythonTypeName)")
        }
        return typed
    }
}

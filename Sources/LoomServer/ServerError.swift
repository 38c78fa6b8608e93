import Hummingbird
import Loom

/// A request the server refuses, answered with a JSON body so API clients can read why.
public struct ServerError: HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var body: JSONValue

    public init(status: HTTPResponse.Status, body: JSONValue) {
        self.status = status
        self.body = body
    }

    public var description: String { "\(status.code): \(body.jsonText(indent: nil))" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        .json(body, status: status)
    }

    /// `{"error": message}`, the shape of ComfyUI's plain 400 answers.
    static func badRequest(_ message: String) -> ServerError {
        ServerError(status: .badRequest, body: ["error": .string(message)])
    }

    static func notFound(_ message: String) -> ServerError {
        ServerError(status: .notFound, body: ["error": .string(message)])
    }

    static func forbidden(_ message: String) -> ServerError {
        ServerError(status: .forbidden, body: ["error": .string(message)])
    }

    static func contentTooLarge(limit: Int) -> ServerError {
        ServerError(
            status: .contentTooLarge,
            body: [
                "error": .string(
                    "the request body is larger than the server's limit of \(limit) bytes (--max-upload-size)")
            ])
    }

    /// A prompt that will not be queued, in `POST /prompt`'s `{error: {type, message, details, extra_info}, node_errors}`.
    static func invalidPrompt(type: String, message: String, details: String) -> ServerError {
        let issue = ValidationIssue(type: type, message: message, details: details)
        return ServerError(status: .badRequest, body: ["error": issue.json, "node_errors": [:]])
    }

    static func invalidPrompt(_ error: PromptValidationError) -> ServerError {
        ServerError(status: .badRequest, body: error.json)
    }
}

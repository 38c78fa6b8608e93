import Foundation
import Hummingbird
import Loom

/// `POST /prompt` queues a prompt, `GET /prompt` reports the queue length, and `POST /run` — Loom's blocking
/// form — queues a prompt and answers once it has finished, with its history entry.
struct PromptRoutes {
    let server: LoomServer

    func register(on routes: some RouterMethods<BasicRequestContext>) {
        routes.post("prompt") { request, _ in
            let (item, nodeErrors) = try await submit(request)
            return Response.json([
                "prompt_id": .string(item.id), "number": QueuedPrompt.numberJSON(item.number),
                "node_errors": nodeErrors,
            ])
        }
        routes.get("prompt") { _, _ in
            Response.json(["exec_info": ["queue_remaining": .int(await server.queue.remaining)]])
        }
        routes.post("run") { request, _ in
            let (item, nodeErrors) = try await submit(request)
            // The prompt runs whether or not this request is still waiting for it.
            guard let entry = await server.queue.completion(of: item.id) else {
                throw ServerError(
                    status: .conflict,
                    body: [
                        "error": .string("prompt \(item.id) was removed from the queue before it ran"),
                        "prompt_id": .string(item.id),
                    ])
            }
            guard case .object(var body) = entry.json else { return Response.json(entry.json) }
            body["prompt_id"] = .string(item.id)
            body["number"] = QueuedPrompt.numberJSON(item.number)
            body["node_errors"] = nodeErrors
            return Response.json(.object(body))
        }
    }

    /// Reads, validates and queues the prompt in the request; invalid prompts get ComfyUI's 400 body.
    private func submit(_ request: Request) async throws(ServerError) -> (QueuedPrompt, JSONValue) {
        let body = try await request.jsonBody(limit: server.configuration.maxUploadBytes)
        let submission = try PromptSubmission(body: body, loader: server.engine.loader)
        let validated: ValidatedPrompt
        do {
            validated = try server.engine.validate(submission.document)
        } catch {
            server.logger.info("invalid prompt: \(error.error.message)")
            throw .invalidPrompt(error)
        }
        let id = submission.promptID ?? UUID().uuidString.lowercased()
        // ComfyUI stamps the submission time (ms) into extra_data; /jobs sorts and dates jobs by it, so a
        // queued or running job would otherwise show in the frontend's queue panel as submitted on 1 January 1970.
        var extraData = submission.extraData
        extraData["create_time"] = .int(Int((Date().timeIntervalSince1970 * 1000).rounded()))
        guard
            let item = await server.queue.enqueue(
                id: id, prompt: validated.prompt.json, extraData: extraData,
                outputsToExecute: validated.outputs, number: submission.number, front: submission.front)
        else {
            throw .invalidPrompt(
                type: "invalid_prompt_id", message: "prompt_id is already in use",
                details:
                    "prompt \(id) is already queued or in the history; omit prompt_id to let the server generate one")
        }
        let nodeErrors = validated.nodeErrors.sorted { $0.key < $1.key }.map { ($0.key, $0.value.json) }
        return (item, .object(JSONObject(nodeErrors)))
    }
}

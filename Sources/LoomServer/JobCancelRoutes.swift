import Hummingbird
import Loom

/// The jobs API's cancel, whichever state a job is in (ComfyUI's frontend and comfy-api-proxy use it):
/// a running job is interrupted as by `POST /interrupt`, a pending one leaves the queue as by
/// `POST /queue {"delete": [...]}`.
///
/// - `POST /jobs/{id}/cancel` is idempotent: `{"cancelled": true}` when the job was running or pending,
///   `{"cancelled": false}` when it had finished or is unknown.
/// - `POST /jobs/cancel` with `{"job_ids": [...]}` answers `{"cancelled": [ids running or pending]}`, or
///   404 `{"error", "job_ids": [unknown ids]}` having cancelled nothing when any id is unknown.
struct JobCancelRoutes {
    let server: LoomServer

    func register(on routes: some RouterMethods<BasicRequestContext>) {
        routes.post("jobs/cancel") { request, _ in
            let body = try await request.jsonObjectBody(limit: server.configuration.maxUploadBytes)
            switch await server.queue.cancel(try Self.jobIDs(in: body)) {
            case .cancelled(let ids):
                return Response.json(["cancelled": .array(ids.map(JSONValue.string))])
            case .unknown(let ids):
                throw ServerError(
                    status: .notFound,
                    body: ["error": "unknown job ids; nothing was cancelled", "job_ids": .array(ids.map(JSONValue.string))])
            }
        }
        routes.post("jobs/:job_id/cancel") { _, context in
            let id = try context.parameters.require("job_id")
            let outcome = await server.queue.cancel([id])
            return Response.json(["cancelled": .bool(outcome == .cancelled([id]))])
        }
    }

    /// `job_ids`: a non-empty list of strings.
    private static func jobIDs(in body: JSONObject) throws(ServerError) -> [String] {
        guard let list = body["job_ids"]?.arrayValue, !list.isEmpty else {
            throw .badRequest("job_ids must be a non-empty list of job ids")
        }
        let ids = list.compactMap(\.stringValue)
        guard ids.count == list.count else { throw .badRequest("job_ids must be a list of strings") }
        return ids
    }
}

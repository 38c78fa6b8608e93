import Hummingbird
import Loom

/// ComfyUI's `/jobs` API, which the web frontend's queue panel reads: `GET /jobs?status=&limit=&offset=&sort_order=`
/// lists running, pending and finished prompts as `{jobs, pagination}`; `GET /jobs/{id}` is one with its outputs.
struct JobRoutes {
    let server: LoomServer
    private static let statuses: Set<String> = ["pending", "in_progress", "completed", "failed", "cancelled"]

    func register(on routes: some RouterMethods<BasicRequestContext>) {
        routes.get("jobs") { request, _ in try await list(request) }
        routes.get("jobs/:job_id") { _, context in
            let id = try context.parameters.require("job_id")
            guard let job = await job(id) else { throw ServerError.notFound("no job '\(id)'") }
            return Response.json(.object(job.json))
        }
    }

    private func list(_ request: Request) async throws -> Response {
        let wanted = try Self.statusFilter(request.query("status"))
        let limit = try Self.integer("limit", in: request, default: 100, minimum: 1)
        let offset = try Self.integer("offset", in: request, default: 0, minimum: 0)
        var jobs = await allJobs().filter { wanted.contains($0.status) }
        // Newest first by default, as ComfyUI sorts on create_time; equal times keep queue order.
        if request.query("sort_order") == "asc" { jobs.reverse() }
        let page = jobs.dropFirst(offset).prefix(limit)
        return Response.json([
            "jobs": .array(page.map { .object($0.json) }),
            "pagination": [
                "offset": .int(offset), "limit": .int(limit), "total": .int(jobs.count),
                "has_more": .bool(offset + page.count < jobs.count),
            ],
        ])
    }

    private func allJobs() async -> [JobSummary] {
        let running = await server.queue.runningPrompts.map {
            JobSummary(queued: $0, running: true, includeWorkflow: false)
        }
        let pending = await server.queue.pendingPrompts.reversed().map {
            JobSummary(queued: $0, running: false, includeWorkflow: false)
        }
        let finished = await server.queue.historyEntries.map { JobSummary(finished: $0, includeOutputs: false) }
        return pending + running + finished
    }

    private func job(_ id: String) async -> JobSummary? {
        if let entry = await server.queue.historyEntry(id) { return JobSummary(finished: entry, includeOutputs: true) }
        if let running = await server.queue.runningPrompts.first(where: { $0.id == id }) {
            return JobSummary(queued: running, running: true, includeWorkflow: true)
        }
        return await server.queue.pendingPrompts.first { $0.id == id }.map {
            JobSummary(queued: $0, running: false, includeWorkflow: true)
        }
    }

    private static func statusFilter(_ text: String?) throws(ServerError) -> Set<String> {
        guard let text, !text.isEmpty else { return statuses }
        let wanted = Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        guard wanted.isSubset(of: statuses) else {
            throw .badRequest("status must be a comma list of \(statuses.sorted().joined(separator: ", "))")
        }
        return wanted
    }

    private static func integer(
        _ name: String, in request: Request, default value: Int, minimum: Int
    ) throws(ServerError) -> Int {
        guard let text = request.query(name) else { return value }
        guard let number = Int(text), number >= minimum else {
            throw .badRequest("\(name) must be an integer of at least \(minimum), got '\(text)'")
        }
        return number
    }
}

import Hummingbird
import Loom

/// `GET /history` (paged by `max_items` and `offset`), `GET /history/{prompt_id}` and `POST /history`.
struct HistoryRoutes {
    let server: LoomServer

    func register(on routes: some RouterMethods<BasicRequestContext>) {
        routes.get("history") { request, _ in
            let maxItems = try integer("max_items", in: request)
            let offset = try integer("offset", in: request) ?? -1
            return Response.json(.object(await server.queue.history(maxItems: maxItems, offset: offset)))
        }
        routes.get("history/:prompt_id") { _, context in
            let id = try context.parameters.require("prompt_id")
            guard let entry = await server.queue.historyEntry(id) else { return Response.json([:]) }
            return Response.json([id: entry.json])
        }
        // `{"clear": true}` empties the history; `{"delete": [prompt_id, ...]}` removes those entries.
        routes.post("history") { request, _ in
            let body = try await request.jsonObjectBody(limit: server.configuration.maxUploadBytes)
            if try flag("clear", in: body) { await server.queue.clearHistory() }
            if let ids = try promptIDs("delete", in: body) { await server.queue.deleteHistory(ids) }
            return Response.ok
        }
    }

    private func integer(_ name: String, in request: Request) throws(ServerError) -> Int? {
        guard let text = request.query(name) else { return nil }
        guard let value = Int(text) else { throw .badRequest("\(name) must be an integer, got '\(text)'") }
        return value
    }
}

import Hummingbird
import Loom

/// `GET/POST /queue`, `POST /interrupt` and `POST /free`.
struct QueueRoutes {
    let server: LoomServer

    func register(on routes: some RouterMethods<BasicRequestContext>) {
        routes.get("queue") { _, _ in
            let queue = server.queue
            return Response.json([
                "queue_running": .array(await queue.runningPrompts.map(\.json)),
                "queue_pending": .array(await queue.pendingPrompts.map(\.json)),
            ])
        }
        // `{"clear": true}` empties the pending queue; `{"delete": [prompt_id, ...]}` removes those prompts.
        routes.post("queue") { request, _ in
            let body = try await request.jsonObjectBody(limit: server.configuration.maxUploadBytes)
            if try flag("clear", in: body) { await server.queue.clearPending() }
            if let ids = try promptIDs("delete", in: body) { await server.queue.deletePending(ids) }
            return Response.ok
        }
        // `{"prompt_id": id}` interrupts only that prompt — or takes it off the queue if it has not started;
        // without it, whatever is running is interrupted.
        routes.post("interrupt") { request, _ in
            let body = try await request.jsonObjectBody(limit: server.configuration.maxUploadBytes)
            guard let id = body["prompt_id"], !id.isNull else {
                _ = await server.queue.interrupt(nil)
                return Response.ok
            }
            guard let id = id.stringValue else { throw ServerError.badRequest("prompt_id must be a string") }
            if await server.queue.interrupt(id) == .notFound {
                server.logger.info("Prompt \(id) is not queued or running, nothing to interrupt")
            }
            return Response.ok
        }
        // `{"unload_models": bool, "free_memory": bool}`: either forgets cached outputs and node instances.
        routes.post("free") { request, _ in
            let body = try await request.jsonObjectBody(limit: server.configuration.maxUploadBytes)
            if try flag("unload_models", in: body) || flag("free_memory", in: body) {
                await server.engine.executor.free()
            }
            return Response.ok
        }
    }
}

/// A boolean command field; absent or null means false.
func flag(_ name: String, in body: JSONObject) throws(ServerError) -> Bool {
    guard let value = body[name], !value.isNull else { return false }
    guard let flag = value.boolValue else {
        throw .badRequest("\(name) must be true or false, found \(value.pythonTypeName)")
    }
    return flag
}

/// A list of prompt ids in a command body.
func promptIDs(_ name: String, in body: JSONObject) throws(ServerError) -> Set<String>? {
    guard let value = body[name], !value.isNull else { return nil }
    guard let list = value.arrayValue, let ids = Optional(list.compactMap(\.stringValue)), ids.count == list.count
    else {
        throw .badRequest("\(name) must be a list of prompt ids")
    }
    return Set(ids)
}

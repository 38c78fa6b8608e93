import Foundation
import Hummingbird
import Loom

/// ComfyUI's `/internal` routes, which its frontend uses (`api_server/routes/internal/internal_routes.py`):
/// - `GET /internal/logs`: the recent log lines joined as `"t - m"`, as one JSON string;
/// - `GET /internal/logs/raw`: `{entries: [{t, m}], size: {cols, rows}}`;
/// - `PATCH /internal/logs/subscribe` with `{clientId, enabled}`: new lines go to that WebSocket client as
///   `logs` messages `{entries, size}`;
/// - `GET /internal/folder_paths`: `{folder: [directories searched]}` for every model folder;
/// - `GET /internal/files/{input|output|temp}`: the folder's file names, newest first; 400 for another type.
struct InternalRoutes {
    let server: LoomServer

    func register(on routes: some RouterMethods<BasicRequestContext>) {
        routes.get("internal/logs") { _, _ in
            Response.json(.string(server.logs.entries.map { $0.time + " - " + $0.message }.joined()))
        }
        routes.get("internal/logs/raw") { _, _ in
            // Loom serves no terminal; ComfyUI's own fallback size.
            Response.json(["entries": .array(server.logs.entries.map(\.json)), "size": ["cols": 80, "rows": 24]])
        }
        routes.patch("internal/logs/subscribe") { request, _ in
            let body = try await request.jsonObjectBody(limit: server.configuration.maxUploadBytes)
            guard let client = body["clientId"]?.stringValue, let enabled = body["enabled"]?.boolValue else {
                throw ServerError.badRequest("the body must be {\"clientId\": string, \"enabled\": bool}")
            }
            server.logs.subscribe(client, enabled: enabled)
            return Response.ok
        }
        routes.get("internal/folder_paths") { _, _ in
            let folders = server.modelFolders
            return Response.json(.object(JSONObject(folders.folderNames.map { name in
                (name, .array(folders.searchedLocations(for: name).map(JSONValue.string)))
            })))
        }
        routes.get("internal/files/:type") { _, context in
            let type = try context.parameters.require("type")
            guard ["input", "output", "temp"].contains(type), let directory = server.imageFolders.directory(forType: type)
            else { throw ServerError.badRequest("Invalid directory type") }
            return Response.json(.array(Self.filesNewestFirst(in: directory).map(JSONValue.string)))
        }
    }

    private static func filesNewestFirst(in directory: URL) -> [String] {
        let keys: [URLResourceKey] = [.isRegularFileKey, .contentModificationDateKey]
        let contents = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: keys)) ?? []
        let files = contents.compactMap { url -> (name: String, modified: Date)? in
            guard let values = try? url.resourceValues(forKeys: Set(keys)), values.isRegularFile == true else { return nil }
            return (url.lastPathComponent, values.contentModificationDate ?? .distantPast)
        }
        return files.sorted { ($0.modified, $1.name) > ($1.modified, $0.name) }.map(\.name)
    }
}

import Foundation
import Hummingbird
import Loom

/// What clients read to learn about the server: node definitions, system and memory, features, models.
struct InfoRoutes {
    let server: LoomServer

    func register(on routes: some RouterMethods<BasicRequestContext>) {
        routes.get("object_info") { _, _ in
            let catalog = server.engine.resources.get((any FileCatalog).self)
            return Response.json(
                .object(JSONObject(server.engine.registry.schemas.map { ($0.name, $0.objectInfo(files: catalog)) })))
        }
        routes.get("object_info/:node_class") { _, context in
            let name = try context.parameters.require("node_class")
            guard let schema = server.engine.registry.schema(for: name) else { return Response.json([:]) }
            return Response.json([name: schema.objectInfo(files: server.engine.resources.get((any FileCatalog).self))])
        }
        routes.get("system_stats") { _, _ in
            Response.json(SystemStats.current(arguments: CommandLine.arguments))
        }
        routes.get("features") { _, _ in Response.json(.object(FeatureFlags.server(server.configuration))) }
        // Loom has no embeddings or web extensions yet; clients expect the lists to exist.
        routes.get("embeddings") { _, _ in Response.json([]) }
        routes.get("extensions") { _, _ in Response.json([]) }
        routes.get("models") { _, _ in
            Response.json(.array(server.modelFolders.folderNames.map(JSONValue.string)))
        }
        routes.get("models/:folder") { _, context in
            let folder = try context.parameters.require("folder")
            guard let files = server.modelFolders.modelFiles(in: folder) else {
                throw ServerError.notFound("no model folder named '\(folder)'")
            }
            return Response.json(.array(files.map(JSONValue.string)))
        }
    }
}

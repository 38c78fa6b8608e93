import Foundation
import Hummingbird
import Loom

/// What ComfyUI gathers from custom nodes and extra packages, which Loom does not have, in the shapes ComfyUI
/// answers without them:
/// - `GET /i18n`, `/workflow_templates` (custom nodes' example workflows), `/global_subgraphs`,
///   `/node_replacements`: `{}`; `GET /global_subgraphs/{id}`: 404;
/// - `GET /templates/{file}`: a file of the installed `comfyui-workflow-templates` packages (the frontend's
///   template browser reads `index.json` and the workflows from here), from `ServerConfiguration.templateRoots`.
struct ExtensionRoutes {
    let server: LoomServer

    func register(on routes: some RouterMethods<BasicRequestContext>) {
        for path in ["i18n", "workflow_templates", "global_subgraphs", "node_replacements"] {
            routes.get(RouterPath(path)) { _, _ in Response.json([:]) }
        }
        routes.get("global_subgraphs/:id") { _, context -> Response in
            throw ServerError.notFound("no global subgraph '\(try context.parameters.require("id"))'")
        }
    }

    /// `/templates/**`, outside `/api` as in ComfyUI, where it is a static folder.
    func registerTemplates(on routes: some RouterMethods<BasicRequestContext>) {
        routes.get("templates/**") { request, context in
            let relative = context.parameters.getCatchAll().joined(separator: "/")
            let name = relative.removingPercentEncoding ?? relative
            let parts = name.split(separator: "/").map(String.init)
            guard let filename = parts.last else { throw ServerError.notFound("no template file '\(name)'") }
            for root in server.configuration.templateRoots {
                let path = try ConfinedPath(root: root, subfolder: parts.dropLast().joined(separator: "/"), filename: filename)
                guard FileManager.default.fileExists(atPath: path.url.path) else { continue }
                try path.checkContainment()
                return try Self.file(path.url)
            }
            throw ServerError.notFound("no template file '\(name)'")
        }
    }

    private static func file(_ url: URL) throws -> Response {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ServerError.notFound("cannot read '\(url.lastPathComponent)'") }
        return Response(
            status: .ok, headers: [.contentType: MediaType.getMediaType(forExtension: url.pathExtension)?.description ?? "application/octet-stream"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

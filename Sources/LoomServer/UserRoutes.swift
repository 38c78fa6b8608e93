import Foundation
import Hummingbird
import Loom

/// The routes ComfyUI's web frontend needs besides the prompt API: its settings and saved files under the user
/// directory (`/users`, `/settings`, `/userdata`), and the lists it loads at start-up that Loom has nothing to
/// put in yet (`/i18n`, `/workflow_templates`, `/global_subgraphs`), answered with ComfyUI's empty shapes.
struct UserRoutes {
    let server: LoomServer
    let store: UserDataStore

    func register(on routes: some RouterMethods<BasicRequestContext>) {
        // One user, as ComfyUI without --multi-user: the frontend then skips its user picker.
        routes.get("users") { _, _ in Response.json(["storage": "server", "migrated": true]) }
        routes.post("users") { request, _ in
            let body = try await request.jsonObjectBody(limit: server.configuration.maxUploadBytes)
            guard let name = body["username"]?.stringValue else {
                throw ServerError.badRequest(#"the body must be {"username": "a name"}"#)
            }
            return Response.json(.string(try await store.addUser(name)))
        }
        routes.get("settings") { _, _ in Response.json(.object(await store.settings())) }
        routes.get("settings/:id") { _, context in
            Response.json(await store.settings()[try context.parameters.require("id")] ?? .null)
        }
        routes.post("settings") { request, _ in
            try await store.updateSettings(try await request.jsonObjectBody(limit: server.configuration.maxUploadBytes))
            return Response.ok
        }
        routes.post("settings/:id") { request, context in
            let value = try await request.jsonBody(limit: server.configuration.maxUploadBytes)
            try await store.updateSettings([try context.parameters.require("id"): value])
            return Response.ok
        }
        routes.get("userdata") { request, _ in try await list(request) }
        routes.get("v2/userdata") { request, _ in
            let directory = request.query("path") ?? ""
            let entries: [UserEntry]?
            do {
                entries = try await store.entries(under: directory.removingPercentEncoding ?? directory)
            } catch {
                // ComfyUI answers a path leading outside the user folder with 400 here, 403 elsewhere.
                throw ServerError.badRequest(Self.message(error))
            }
            guard let entries else { throw ServerError.notFound("no user folder '\(directory)'") }
            return Response.json(.array(entries.map(\.json)))
        }
        routes.get("userdata/:file") { _, context in
            let path = try await store.file(try Self.relativePath(context, "file"))
            guard let data = FileManager.default.contents(atPath: path.url.path) else {
                throw ServerError.notFound("no user file '\(path.filename)'")
            }
            let mediaType = MediaType.getMediaType(forExtension: path.url.pathExtension)?.description
            return Response(
                status: .ok, headers: [.contentType: mediaType ?? "application/octet-stream"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        routes.post("userdata/:file") { request, context in
            let relative = try Self.relativePath(context, "file")
            let path = try await store.file(relative)
            if request.query("overwrite") == "false", FileManager.default.fileExists(atPath: path.url.path) {
                throw ServerError(status: .conflict, body: ["error": "the file exists"])
            }
            let body = try await request.bodyBytes(limit: server.configuration.maxUploadBytes)
            try await store.write(Data(buffer: body), to: path.url)
            return Response.json(try await info(relative, request: request))
        }
        routes.delete("userdata/:file") { _, context in
            let path = try await store.file(try Self.relativePath(context, "file"))
            // Files only: a folder name must not remove the folder and everything in it.
            guard Self.isFile(path.url), (try? FileManager.default.removeItem(at: path.url)) != nil else {
                throw ServerError.notFound("no user file '\(path.filename)'")
            }
            return Response(status: .noContent)
        }
        routes.post("userdata/:file/move/:destination") { request, context in
            let source = try await store.file(try Self.relativePath(context, "file"))
            let relative = try Self.relativePath(context, "destination")
            let destination = try await store.file(relative)
            guard Self.isFile(source.url) else {
                throw ServerError.notFound("no user file '\(source.filename)'")
            }
            if FileManager.default.fileExists(atPath: destination.url.path) {
                guard Self.isFile(destination.url) else {
                    throw ServerError(status: .conflict, body: ["error": "the destination is a folder"])
                }
                guard request.query("overwrite") != "false" else {
                    throw ServerError(status: .conflict, body: ["error": "the destination exists"])
                }
                try? FileManager.default.removeItem(at: destination.url)
            }
            do {
                try FileManager.default.createDirectory(at: destination.directory, withIntermediateDirectories: true)
                try FileManager.default.moveItem(at: source.url, to: destination.url)
            } catch {
                throw ServerError(status: .internalServerError, body: ["error": "cannot move the file"])
            }
            return Response.json(try await info(relative, request: request))
        }
    }

    /// `?dir=&recurse=&full_info=&split=`: the files under a user folder, 404 when it does not exist.
    private func list(_ request: Request) async throws -> Response {
        guard let directory = request.query("dir"), !directory.isEmpty else {
            throw ServerError.badRequest("dir is required")
        }
        let listed: [UserFile]?
        do {
            listed = try await store.list(directory: directory, recurse: Self.flag(request, "recurse"))
        } catch {
            // A folder name that is no path below the user folder ('..', '/etc') is ComfyUI's 403.
            throw ServerError.forbidden(Self.message(error))
        }
        guard let files = listed else { throw ServerError.notFound("no user folder '\(directory)'") }
        let fullInfo = Self.flag(request, "full_info")
        let split = Self.flag(request, "split")
        return Response.json(
            .array(
                files.map { file in
                    if fullInfo { return file.json }
                    guard split else { return .string(file.path) }
                    return .array(
                        ([file.path] + file.path.split(separator: "/").map(String.init)).map(JSONValue.string))
                }))
    }

    /// What a write or move answers: the relative path, or `{path, size, modified, created}` with `full_info=true`.
    private func info(_ relative: String, request: Request) async throws -> JSONValue {
        guard Self.flag(request, "full_info") else { return .string(relative) }
        let path = try await store.file(relative)
        return UserFile(path: relative, values: try? path.url.resourceValues(forKeys: Set(UserFile.resourceKeys))).json
    }

    /// The error's own message, without its status.
    private static func message(_ error: any Error) -> String {
        (error as? ServerError)?.body["error"]?.stringValue ?? "\(error)"
    }

    /// A query flag, true when it says "true" in any case, as ComfyUI reads them.
    private static func flag(_ request: Request, _ name: String) -> Bool {
        request.query(name)?.lowercased() == "true"
    }

    private static func isFile(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// The frontend sends paths with '/' encoded as %2F inside one path segment.
    private static func relativePath(_ context: BasicRequestContext, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }
}

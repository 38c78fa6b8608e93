import Foundation
import Hummingbird
import Loom

/// `GET /view` serves a file from the input, output or temp folder; `POST /upload/image` stores one.
/// Names and subfolders are confined to the folder they name.
struct FileRoutes {
    let server: LoomServer

    func register(on routes: some RouterMethods<BasicRequestContext>) {
        routes.get("view") { request, _ in try view(request) }
        routes.post("upload/image") { request, _ in try await upload(request) }
    }

    /// `?filename=&type=output|input|temp&subfolder=`; a filename may carry its folder as ComfyUI's annotation,
    /// `name.png [input]`. The file is served as stored (`preview` and `channel` re-encoding is not supported yet).
    private func view(_ request: Request) throws -> Response {
        guard var filename = request.query("filename"), !filename.isEmpty else {
            throw ServerError.badRequest("filename is required")
        }
        var type = request.query("type") ?? "output"
        if let annotated = Self.annotation(in: filename) {
            (filename, type) = annotated
        }
        guard let root = server.imageFolders.directory(forType: type) else {
            throw ServerError.badRequest("unknown type '\(type)': expected input, output or temp")
        }
        let path = try ConfinedPath(root: root, subfolder: request.query("subfolder") ?? "", filename: filename)
        try path.checkContainment()
        guard let data = FileManager.default.contents(atPath: path.url.path), !Self.isDirectory(path.url) else {
            throw ServerError.notFound("no file '\(filename)' in the \(type) folder")
        }
        let mediaType =
            MediaType.getMediaType(forExtension: path.url.pathExtension)?.description ?? "application/octet-stream"
        return Response(
            status: .ok,
            headers: [.contentType: mediaType, .contentDisposition: "filename=\"\(filename)\""],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Multipart fields `image` (the file), `type` (input by default), `subfolder` and `overwrite`. Without
    /// `overwrite`, a different file of the same name is stored as `name (1).png`; an identical one is re-used.
    private func upload(_ request: Request) async throws -> Response {
        let body = try await request.bodyBytes(limit: server.configuration.maxUploadBytes)
        let form = try MultipartForm(body: body, contentType: request.headers[.contentType])
        guard let image = form["image"], let filename = image.filename, !filename.isEmpty else {
            throw ServerError.badRequest("the form has no 'image' file")
        }
        let type = form["type"]?.text ?? "input"
        guard let root = server.imageFolders.directory(forType: type) else {
            throw ServerError.badRequest("unknown type '\(type)': expected input, output or temp")
        }
        let subfolder = form["subfolder"]?.text ?? ""
        let overwrite = ["true", "1"].contains(form["overwrite"]?.text.lowercased() ?? "")
        var path = try ConfinedPath(root: root, subfolder: subfolder, filename: filename)
        try path.checkContainment()
        do {
            try FileManager.default.createDirectory(at: path.directory, withIntermediateDirectories: true)
        } catch {
            throw ServerError(
                status: .internalServerError, body: ["error": .string("cannot create \(path.directory.path)")])
        }
        try path.checkContainment()
        let bytes = Data(buffer: image.body)
        if !overwrite {
            let stem = (filename as NSString).deletingPathExtension
            let suffix = (filename as NSString).pathExtension.isEmpty ? "" : "." + (filename as NSString).pathExtension
            var counter = 1
            while let existing = FileManager.default.contents(atPath: path.url.path), existing != bytes {
                path = try ConfinedPath(root: root, subfolder: subfolder, filename: "\(stem) (\(counter))\(suffix)")
                counter += 1
            }
        }
        do {
            try bytes.write(to: path.url, options: .atomic)
        } catch {
            throw ServerError(status: .internalServerError, body: ["error": .string("cannot write \(path.filename)")])
        }
        return Response.json(["name": .string(path.filename), "subfolder": .string(subfolder), "type": .string(type)])
    }

    /// `name.png [output]` → ("name.png", "output").
    private static func annotation(in filename: String) -> (String, String)? {
        for type in ["input", "output", "temp"] where filename.hasSuffix(" [\(type)]") {
            return (String(filename.dropLast(type.count + 3)), type)
        }
        return nil
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

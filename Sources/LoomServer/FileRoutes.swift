import Foundation
import Hummingbird
import Loom
import LoomImaging

/// `GET /view` serves a file from the input, output or temp folder; `POST /upload/image` stores one and
/// `POST /upload/mask` stores a referenced image with an uploaded mask's alpha. Names and subfolders are confined
/// to the folder they name.
struct FileRoutes {
    let server: LoomServer

    func register(on routes: some RouterMethods<BasicRequestContext>) {
        routes.get("view") { request, _ in try view(request) }
        routes.post("upload/image") { request, _ in
            try await upload(request) { (_, bytes) throws(ServerError) in Data(bytes) }
        }
        routes.post("upload/mask") { request, _ in
            try await upload(request) { (form, mask) throws(ServerError) in try maskedOriginal(form: form, mask: mask) }
        }
    }

    /// `?filename=&type=output|input|temp&subfolder=&preview=&channel=`; a filename may carry its folder as
    /// ComfyUI's annotation, `name.png [input]`. See `ViewEncoding` for `preview` and `channel`.
    private func view(_ request: Request) throws -> Response {
        guard let filename = request.query("filename"), !filename.isEmpty else {
            throw ServerError.badRequest("filename is required")
        }
        let path = try existingFile(
            filename: filename, type: request.query("type") ?? "output", subfolder: request.query("subfolder") ?? "")
        guard let data = FileManager.default.contents(atPath: path.url.path) else {
            throw ServerError.notFound("cannot read '\(path.filename)'")
        }
        let encoding = ViewEncoding(preview: request.query("preview"), channel: request.query("channel"))
        var body = [UInt8](data)
        var mediaType =
            MediaType.getMediaType(forExtension: path.url.pathExtension)?.description ?? "application/octet-stream"
        if encoding != .asStored {
            do {
                if let encoded = try encoding.encode(try decode(body)) { (body, mediaType) = encoded }
            } catch {
                throw ServerError.badRequest("cannot re-encode '\(path.filename)': \(error)")
            }
        }
        return Response(
            status: .ok,
            headers: [.contentType: mediaType, .contentDisposition: "filename=\"\(path.filename)\""],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// An existing file named as `/view` and `original_ref` name it: a filename, possibly annotated with its
    /// type, in a type's folder and subfolder.
    private func existingFile(filename: String, type: String, subfolder: String) throws(ServerError) -> ConfinedPath {
        let (name, type) = Self.annotation(in: filename) ?? (filename, type)
        guard let root = server.imageFolders.directory(forType: type) else {
            throw ServerError.badRequest("unknown type '\(type)': expected input, output or temp")
        }
        let path = try ConfinedPath(root: root, subfolder: subfolder, filename: name)
        try path.checkContainment()
        guard FileManager.default.fileExists(atPath: path.url.path), !Self.isDirectory(path.url) else {
            throw ServerError.notFound("no file '\(name)' in the \(type) folder")
        }
        return path
    }

    /// `POST /upload/mask`: the image named by the JSON field `original_ref` (`{filename, type, subfolder}`,
    /// output by default) as RGBA with the uploaded image's alpha, keeping its PNG text chunks.
    private func maskedOriginal(form: MultipartForm, mask: [UInt8]) throws(ServerError) -> Data {
        guard let reference = form["original_ref"], let json = try? JSONValue(parsing: Array(buffer: reference.body)),
            let filename = json["filename"]?.stringValue, !filename.isEmpty
        else {
            throw .badRequest("original_ref must be a JSON object with a filename")
        }
        let original = try existingFile(
            filename: filename, type: json["type"]?.stringValue ?? "output",
            subfolder: json["subfolder"]?.stringValue ?? "")
        let image: RasterImage
        let alpha: RasterImage
        do {
            image = try decode([UInt8](try Data(contentsOf: original.url))).eightBit(channels: 4)
            alpha = try decode(mask).eightBit(channels: 4)
        } catch {
            throw .badRequest("cannot read the image or the mask: \(error)")
        }
        guard alpha.width == image.width, alpha.height == image.height else {
            throw .badRequest(
                "the mask is \(alpha.width)×\(alpha.height) but the image is \(image.width)×\(image.height)")
        }
        var masked = image
        for index in stride(from: 3, to: masked.samples.count, by: 4) { masked.samples[index] = alpha.samples[index] }
        do {
            // ComfyUI saves masked images with compression level 4.
            return Data(try masked.encodedPNG(compressionLevel: 4))
        } catch {
            throw .badRequest("cannot encode the masked image: \(error)")
        }
    }

    /// A PNG or JPEG within the engine's pixel limit, checked from the header before decoding.
    private func decode(_ bytes: [UInt8]) throws -> RasterImage {
        let limit = server.engine.resources.limits.pixelsPerImage
        return bytes.starts(with: [0xFF, 0xD8, 0xFF])
            ? try RasterImage(decodingJPEG: bytes, maximumPixels: limit)
            : try RasterImage(decodingPNG: bytes, maximumPixels: limit)
    }

    private static func imagePart(of form: MultipartForm) throws(ServerError) -> MultipartForm.Part {
        guard let image = form["image"], let filename = image.filename, !filename.isEmpty else {
            throw .badRequest("the form has no 'image' file")
        }
        return image
    }

    /// Multipart fields `image` (the file), `type` (input by default), `subfolder` and `overwrite`; `contents`
    /// makes the bytes to store from the form and the uploaded file. Without `overwrite`, a different file of the
    /// same name is stored as `name (1).png`; an identical one is re-used.
    private func upload(
        _ request: Request, contents: (MultipartForm, [UInt8]) throws(ServerError) -> Data
    ) async throws -> Response {
        let body = try await request.bodyBytes(limit: server.configuration.maxUploadBytes)
        let form = try MultipartForm(body: body, contentType: request.headers[.contentType])
        let image = try Self.imagePart(of: form)
        let filename = image.filename ?? ""
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
        let bytes = try contents(form, Array(buffer: image.body))
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

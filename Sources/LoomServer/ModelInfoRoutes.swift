import Foundation
import Hummingbird
import Loom

/// The frontend's model browser and metadata routes, in ComfyUI's shapes:
/// - `GET /experiment/models`: `[{name, folders}]`, each model folder with the directories searched for it;
/// - `GET /experiment/models/{folder}`: `[{name, pathIndex, modified, created, size}]`, 404 for an unknown folder;
/// - `GET /experiment/models/preview/{folder}/{pathIndex}/{name}`: the model's preview picture (``ModelPreview``)
///   as WebP, 404 when it has none;
/// - `GET /view_metadata/{folder}?filename=`: a `.safetensors` file's `__metadata__` object, 404 when there is
///   none (or the file is not a safetensors file of that folder).
struct ModelInfoRoutes {
    let server: LoomServer

    func register(on routes: some RouterMethods<BasicRequestContext>) {
        routes.get("experiment/models") { _, _ in
            let folders = server.modelFolders
            return Response.json(.array(folders.folderNames.map { name in
                ["name": .string(name), "folders": .array(folders.searchedLocations(for: name).map(JSONValue.string))]
            }))
        }
        routes.get("experiment/models/:folder") { _, context in
            let folder = try context.parameters.require("folder")
            guard let files = server.modelFolders.modelFilesByLocation(in: folder) else {
                throw ServerError.notFound("no model folder named '\(folder)'")
            }
            let directories = server.modelFolders.searchedLocations(for: folder)
            return Response.json(.array(files.map { file in
                Self.fileInfo(file.name, location: file.location, directory: directories[file.location])
            }))
        }
        routes.get("experiment/models/preview/:folder/:path_index/**") { _, context in
            let folder = try context.parameters.require("folder")
            let directories = server.modelFolders.searchedLocations(for: folder)
            let relative = context.parameters.getCatchAll().joined(separator: "/")
            let parts = (relative.removingPercentEncoding ?? relative).split(separator: "/").map(String.init)
            guard let index = context.parameters.get("path_index").flatMap({ Int($0) }), directories.indices.contains(index),
                let filename = parts.last
            else { throw ServerError.notFound("no model '\(relative.prefix(200))' in folder '\(folder)'") }
            // Plain names only; links the user made inside the models folder (often to files elsewhere) are followed.
            let model = try ConfinedPath(
                root: URL(fileURLWithPath: directories[index]), subfolder: parts.dropLast().joined(separator: "/"), filename: filename)
            guard let preview = ModelPreview.image(for: model.url) else {
                throw ServerError.notFound("no preview for '\(relative.prefix(200))'")
            }
            return Response(
                status: .ok, headers: [.contentType: "image/webp"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: try preview.encodedWebP())))
        }
        routes.get("view_metadata/:folder") { request, context in
            let folder = try context.parameters.require("folder")
            guard let name = request.query("filename"), name.hasSuffix(".safetensors"),
                let url = server.modelFolders.modelFile(name, in: folder),
                let file = try? ModelFile.open(path: url.path), !file.metadata.isEmpty
            else { throw ServerError.notFound("no safetensors metadata for that file") }
            let entries = file.metadata.sorted { $0.key < $1.key }.compactMap { key, value in
                value.stringValue.map { (key, JSONValue.string($0)) }
            }
            return Response.json(.object(JSONObject(entries)))
        }
    }

    private static func fileInfo(_ name: String, location: Int, directory: String) -> JSONValue {
        let attributes = try? FileManager.default.attributesOfItem(atPath: (directory as NSString).appendingPathComponent(name))
        func seconds(_ key: FileAttributeKey) -> JSONValue {
            .double((attributes?[key] as? Date)?.timeIntervalSince1970 ?? 0)
        }
        return [
            "name": .string(name), "pathIndex": .int(location), "modified": seconds(.modificationDate),
            "created": seconds(.creationDate), "size": .int((attributes?[.size] as? Int) ?? 0),
        ]
    }
}

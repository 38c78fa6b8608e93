import Foundation
import Hummingbird
import Loom

/// The frontend's model browser and metadata routes, in ComfyUI's shapes:
/// - `GET /experiment/models`: `[{name, folders}]`, each model folder with the directories searched for it;
/// - `GET /experiment/models/{folder}`: `[{name, pathIndex, modified, created, size}]`, 404 for an unknown folder;
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

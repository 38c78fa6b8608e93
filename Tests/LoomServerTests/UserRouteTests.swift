import Foundation
import Hummingbird
import Loom
import Testing

@Suite("The web frontend's user routes: /users, /settings, /userdata")
struct UserRouteTests {
    @Test("settings are merged, read back by key, and persisted under the user folder")
    func settings() async throws {
        let directory = try TestServer.makeDirectory()
        try await TestServer.run(directory: directory) { (server: TestServer) async throws in
            #expect(try await server.json("/api/users") == ["storage": "server", "migrated": true])
            #expect(try await server.json("/api/settings") == [:])
            #expect(try await server.post("/api/settings", json: ["Comfy.Locale": "en", "A.B": 1]).status == .ok)
            #expect(try await server.post("/api/settings/Comfy.Locale", json: "fr").status == .ok)
            #expect(try await server.json("/api/settings") == ["Comfy.Locale": "fr", "A.B": 1])
            #expect(try await server.json("/api/settings/A.B") == 1)
            #expect(try await server.json("/api/settings/missing") == .null)
        }
        let file = directory.appendingPathComponent("user/default/comfy.settings.json")
        #expect(try JSONValue(parsing: [UInt8](Data(contentsOf: file))) == ["Comfy.Locale": "fr", "A.B": 1])
        try await TestServer.run(directory: directory) { (server: TestServer) async throws in
            #expect(try await server.json("/settings/Comfy.Locale") == "fr")
        }
    }

    @Test("userdata files are written, listed, read, moved and deleted; paths stay inside the user folder")
    func userdata() async throws {
        try await TestServer.run { (server: TestServer) async throws in
            #expect(try await server.get("/api/userdata?dir=workflows").status == .notFound)
            #expect(try await server.get("/api/userdata").status == .badRequest)
            let saved = try await server.request(
                .post, "/api/userdata/workflows%2Fa.json?overwrite=true&full_info=true", body: ByteBuffer(string: "{}"))
            #expect(saved.status == .ok)
            let info = try saved.json
            #expect(info["path"] == "workflows/a.json" && info["size"] == 2)
            #expect(
                try await server.request(
                    .post, "/api/userdata/workflows%2Fa.json?overwrite=false", body: ByteBuffer(string: "{}")
                ).status == .conflict)
            #expect(try await server.json("/api/userdata?dir=workflows&recurse=true") == ["a.json"])
            #expect(String(buffer: try await server.get("/api/userdata/workflows%2Fa.json").body) == "{}")
            let moved = try await server.request(.post, "/api/userdata/workflows%2Fa.json/move/workflows%2Fb.json")
            #expect(try moved.json == "workflows/b.json")
            #expect(try await server.json("/api/userdata?dir=workflows") == ["b.json"])
            #expect(try await server.request(.delete, "/api/userdata/workflows").status == .notFound)
            #expect(try await server.request(.delete, "/api/userdata/workflows%2Fb.json").status == .noContent)
            #expect(try await server.get("/api/userdata/workflows%2Fb.json").status == .notFound)
            #expect(try await server.get("/api/userdata/..%2F..%2Fsecret").status != .ok)
            #expect(try await server.get("/api/userdata?dir=..").status == .forbidden)
            #expect(try await server.get("/api/userdata?dir=..%2F..%2Fetc").status == .forbidden)
        }
    }

    @Test("full_info listings carry ComfyUI's path, size, modified and created; /v2/userdata lists folders and files")
    func fullInfoAndV2Listing() async throws {
        try await TestServer.run { (server: TestServer) async throws in
            // Before the user folder exists, v2 lists nothing (ComfyUI's new-user case) and a subfolder is a 404.
            #expect(try await server.json("/api/v2/userdata") == [])
            #expect(try await server.get("/api/v2/userdata?path=workflows").status == .notFound)
            for (name, body) in [("workflows%2FZeta.json", "{}"), ("workflows%2Fdeep%2Falpha.json", "[1]"), ("b.txt", "hey")] {
                #expect(try await server.request(.post, "/api/userdata/\(name)", body: ByteBuffer(string: body)).status == .ok)
            }
            let listed = try await server.json("/api/userdata?dir=workflows&recurse=TRUE&full_info=True")
            #expect(listed.arrayValue?.compactMap { $0["path"]?.stringValue } == ["Zeta.json", "deep/alpha.json"])
            for entry in listed.arrayValue ?? [] {
                #expect(entry.objectValue.map { Set($0.keys) } == ["path", "size", "modified", "created"])
                #expect((entry["created"]?.doubleValue ?? 0) > 1_000_000_000)
            }
            #expect(try await server.request(.post, "/api/userdata/c.txt?full_info=true", body: ByteBuffer(string: "x")).json["created"] != nil)

            let all = try await server.json("/api/v2/userdata")
            // Folders first, then files, each by name ignoring case; paths from the user folder.
            #expect(all.arrayValue?.compactMap { $0["path"]?.stringValue } == [
                "workflows/deep", "workflows", "workflows/deep/alpha.json", "b.txt", "c.txt", "workflows/Zeta.json",
            ])
            let folder = try #require(all.arrayValue?.first)
            #expect(folder == ["name": "deep", "path": "workflows/deep", "type": "directory"])
            let file = try #require(all.arrayValue?.first { $0["name"] == "b.txt" })
            #expect(file["type"] == "file" && file["size"] == 3 && file["modified"]?.doubleValue != nil)
            let workflows = try await server.json("/api/v2/userdata?path=workflows")
            #expect(workflows.arrayValue?.compactMap { $0["name"]?.stringValue } == ["deep", "alpha.json", "Zeta.json"])
            #expect(try await server.get("/api/v2/userdata?path=b.txt").status == .badRequest)
            #expect(try await server.get("/api/v2/userdata?path=..%2F..").status == .badRequest)
            #expect(try await server.get("/api/v2/userdata?path=..%2F..%2Fetc").status == .badRequest)
        }
    }

    @Test("POST /users gives a name an id as ComfyUI does without --multi-user; taken names are a 400")
    func addUser() async throws {
        let directory = try TestServer.makeDirectory()
        try await TestServer.run(directory: directory) { (server: TestServer) async throws in
            let taken = try await server.post("/api/users", json: ["username": "default"])
            #expect(taken.status == .badRequest)
            #expect(try taken.json == ["error": "Duplicate username."])
            let added = try await server.post("/users", json: ["username": " Ann Lee!! "])
            #expect(added.status == .ok)
            let id = try #require(try added.json.stringValue)
            #expect(id.hasPrefix("Ann-Lee-_") && UUID(uuidString: String(id.dropFirst("Ann-Lee-_".count))) != nil, "\(id)")
            #expect(try await server.post("/api/users", json: ["username": "Ann Lee!!"]).status == .badRequest)
            #expect(try await server.post("/api/users", json: ["name": "x"]).status == .badRequest)
            #expect(try await server.post("/api/users", json: ["username": "  "]).status == .badRequest)
            // Requests still act as the one default user.
            #expect(try await server.json("/api/users") == ["storage": "server", "migrated": true])
        }
        let file = directory.appendingPathComponent("user/users.json")
        let users = try JSONValue(parsing: [UInt8](Data(contentsOf: file)))
        #expect(users["default"] == "default" && users.objectValue?.count == 2)
    }

    @Test("the start-up lists the frontend loads exist, empty as ComfyUI's without custom nodes")
    func startupLists() async throws {
        try await TestServer.run { (server: TestServer) async throws in
            for path in ["i18n", "workflow_templates", "global_subgraphs", "node_replacements"] {
                #expect(try await server.json("/api/\(path)") == [:], "\(path)")
                #expect(try await server.json("/\(path)") == [:], "\(path)")
            }
            #expect(try await server.get("/api/global_subgraphs/anything").status == .notFound)
        }
    }
}

extension HTTPTestClient {
    /// The JSON body of `GET path`.
    func json(_ path: String) async throws -> JSONValue {
        try await get(path).json
    }
}

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
            #expect(try await server.get("/api/userdata?dir=..").status != .ok)
        }
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

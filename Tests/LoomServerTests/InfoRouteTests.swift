import Foundation
import Loom
import LoomServer
import Testing

@Suite("Information routes")
struct InfoRouteTests {
    @Test("object_info lists every node class in ComfyUI's shape; object_info/{class} one or none")
    func objectInfo() async throws {
        try await TestServer.run { server in
            let all = try await server.get("/object_info").json
            #expect(all.objectValue?.keys.contains("StringConcatenate") == true)
            #expect(all.objectValue?.keys.contains("TestGate") == true)
            let one = try await server.get("/api/object_info/PreviewAny").json
            #expect(one.objectValue?.keys == ["PreviewAny"])
            let info = try #require(one["PreviewAny"])
            #expect(info["output_node"] == true)
            #expect(info["input"]?["required"]?["source"] == ["*"])
            #expect(info["name"] == "PreviewAny")
            #expect(info == all["PreviewAny"])
            #expect(try await server.get("/object_info/NoSuchNode").json == .object([:]))
        }
    }

    @Test("system_stats, features, embeddings, extensions and models answer in ComfyUI's shapes")
    func serverInfo() async throws {
        try await TestServer.run(configure: { $0.maxUploadBytes = 1234 }) { server in
            let stats = try await server.get("/system_stats").json
            #expect((stats["system"]?["ram_total"]?.intValue ?? 0) > 0)
            #expect(stats["system"]?["os"]?.stringValue?.isEmpty == false)
            #expect(stats["devices"]?[0]?["type"] == "cpu")
            #expect(try await server.get("/features").json["max_upload_size"] == 1234)
            #expect(try await server.get("/embeddings").json == [])
            #expect(try await server.get("/api/extensions").json == [])

            let loras = server.directory.appendingPathComponent("models/loras/style", isDirectory: true)
            try FileManager.default.createDirectory(at: loras, withIntermediateDirectories: true)
            try Data().write(to: loras.appendingPathComponent("ink.safetensors"))
            try Data().write(to: loras.appendingPathComponent("notes.txt"))
            let folders = try await server.get("/models").json.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(folders.contains("checkpoints") && folders.contains("loras"))
            #expect(try await server.get("/models/loras").json == ["style/ink.safetensors"])
            #expect(try await server.get("/models/nonsense").status == .notFound)
        }
    }

    @Test("POST /free forgets cached outputs, so the next identical prompt runs every node again")
    func free() async throws {
        try await TestServer.run { server in
            let client = try await server.connect(clientID: "free")
            let first = try await server.queue(Prompts.concatenate("f", "g"), clientID: "free")
            try await client.waitForEnd(of: first)
            #expect(try await server.post("/free", json: ["free_memory": true]).status == .ok)
            let second = try await server.queue(Prompts.concatenate("f", "g"), clientID: "free")
            try await client.waitForEnd(of: second)
            let cached = client.messages(for: second).first { $0.type == "execution_cached" }
            #expect(cached?.data["nodes"] == [])
            #expect(try await server.post("/free", json: ["free_memory": "yes"]).status == .badRequest)
            await client.close()
        }
    }

    @Test("without --enable-cors-header a cross-origin browser request is refused; with it, CORS headers are sent")
    func origins() async throws {
        try await TestServer.run { server in
            let foreign = try await server.request(.get, "/prompt", headers: [.origin: "http://evil.example"])
            #expect(foreign.status == .forbidden)
            let same = try await server.request(.get, "/prompt", headers: [.origin: "http://127.0.0.1:\(server.port)"])
            #expect(same.status == .ok)
        }
        try await TestServer.run(configure: { $0.corsOrigin = "*" }) { server in
            let reply = try await server.request(.get, "/prompt", headers: [.origin: "http://elsewhere.example"])
            #expect(reply.status == .ok)
            #expect(reply.headers[.accessControlAllowOrigin] == "*")
            let preflight = try await server.request(.options, "/prompt")
            #expect(preflight.status == .ok)
            #expect(preflight.headers[.accessControlAllowMethods]?.contains("POST") == true)
        }
    }

    @Test("--front-end-root serves static files at / while the API keeps working")
    func frontEnd() async throws {
        let web = try TestServer.makeDirectory()
        try Data("<html>loom</html>".utf8).write(to: web.appendingPathComponent("index.html"))
        try await TestServer.run(configure: { $0.frontEndRoot = web }) { server in
            let page = try await server.get("/")
            #expect(page.status == .ok)
            #expect(String(buffer: page.body) == "<html>loom</html>")
            #expect(try await server.get("/prompt").json["exec_info"] != nil)
        }
        try? FileManager.default.removeItem(at: web)
    }
}

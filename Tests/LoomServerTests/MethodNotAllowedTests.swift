import Foundation
import Hummingbird
import Loom
import Testing

@Suite("methods no route takes")
struct MethodNotAllowedTests {
    @Test("a method no route takes answers 405 as ComfyUI's aiohttp server does; GET of nothing stays 404")
    func methodNotAllowed() async throws {
        try await TestServer.run { server in
            for (method, path) in [(HTTPRequest.Method.delete, "/prompt"), (.delete, "/api/history"), (.put, "/api/queue"),
                                   (.delete, "/nothing/here"), (.patch, "/api/jobs")] {
                let reply = try await server.request(method, path)
                #expect(reply.status == .methodNotAllowed, "\(method) \(path)")
                #expect(reply.headers[.allow] == "GET,HEAD", "\(method) \(path)")
                #expect(String(buffer: reply.body) == "405: Method Not Allowed")
            }
            #expect(try await server.get("/nothing/here").status == .notFound)
            // A route's own 404 is kept: the user file does not exist.
            #expect(try await server.request(.delete, "/api/userdata/missing.json").status == .notFound)
            #expect(try await server.get("/prompt").status == .ok)
        }
    }
}

import Foundation
import Hummingbird
import ImagingTestSupport
import Loom
import LoomImaging
import LoomServer
import Testing

@Suite("GET /view and POST /upload/image")
struct FileRouteTests {
    static func form(_ fields: [(name: String, filename: String?, data: Data)]) -> (ByteBuffer, String) {
        let boundary = "loom-test-\(UUID().uuidString)"
        var body = Data()
        for field in fields {
            body.append(Data("--\(boundary)\r\n".utf8))
            let filename = field.filename.map { "; filename=\"\($0)\"" } ?? ""
            body.append(Data("Content-Disposition: form-data; name=\"\(field.name)\"\(filename)\r\n".utf8))
            if field.filename != nil { body.append(Data("Content-Type: image/png\r\n".utf8)) }
            body.append(Data("\r\n".utf8))
            body.append(field.data)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return (ByteBuffer(bytes: body), "multipart/form-data; boundary=\(boundary)")
    }

    static func upload(_ server: TestServer, _ fields: [(name: String, filename: String?, data: Data)]) async throws
        -> HTTPReply
    {
        let (body, contentType) = form(fields)
        return try await server.request(.post, "/upload/image", body: body, headers: [.contentType: contentType])
    }

    @Test("an upload lands in the input folder and /view serves it back")
    func uploadAndView() async throws {
        try await TestServer.run { server in
            let bytes = Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3])
            let reply = try await Self.upload(
                server, [("image", "cat.png", bytes), ("subfolder", nil, Data("pets".utf8))])
            #expect(reply.status == .ok)
            #expect(try reply.json == ["name": "cat.png", "subfolder": "pets", "type": "input"])
            let stored = server.directory.appendingPathComponent("input/pets/cat.png")
            #expect(FileManager.default.contents(atPath: stored.path) == bytes)

            let view = try await server.get("/view?filename=cat.png&type=input&subfolder=pets")
            #expect(view.status == .ok)
            #expect(Data(buffer: view.body) == bytes)
            #expect(view.headers[.contentType] == "image/png")
            #expect(try await server.get("/api/view?filename=cat.png%20%5Binput%5D&subfolder=pets").status == .ok)

            // Same name, same bytes: re-used. Same name, other bytes: a numbered name, unless overwrite is set.
            #expect(
                try await Self.upload(server, [("image", "cat.png", bytes), ("subfolder", nil, Data("pets".utf8))])
                    .json["name"] == "cat.png")
            let other = try await Self.upload(
                server, [("image", "cat.png", Data([9])), ("subfolder", nil, Data("pets".utf8))])
            #expect(try other.json["name"] == "cat (1).png")
            let overwritten = try await Self.upload(
                server,
                [
                    ("image", "cat.png", Data([7])), ("subfolder", nil, Data("pets".utf8)),
                    ("overwrite", nil, Data("true".utf8)),
                ])
            #expect(try overwritten.json["name"] == "cat.png")
            #expect(FileManager.default.contents(atPath: stored.path) == Data([7]))

            let temp = try await Self.upload(server, [("image", "t.png", bytes), ("type", nil, Data("temp".utf8))])
            #expect(try temp.json == ["name": "t.png", "subfolder": "", "type": "temp"])
            #expect(try await server.get("/view?filename=t.png&type=temp").status == .ok)
            #expect(try await server.get("/view?filename=missing.png&type=temp").status == .notFound)
        }
    }

    @Test("paths that lead outside the folder are refused: '..', absolute subfolders, symbolic links")
    func pathChecks() async throws {
        try await TestServer.run { server in
            let secret = server.directory.appendingPathComponent("secret.txt")
            try Data("secret".utf8).write(to: secret)
            let output = server.directory.appendingPathComponent("output")
            try FileManager.default.createSymbolicLink(
                at: output.appendingPathComponent("escape"), withDestinationURL: server.directory)
            try FileManager.default.createSymbolicLink(
                at: output.appendingPathComponent("link.txt"), withDestinationURL: secret)

            #expect(try await server.get("/view?filename=../secret.txt").status == .badRequest)
            #expect(try await server.get("/view?filename=secret.txt&subfolder=..").status == .forbidden)
            #expect(try await server.get("/view?filename=secret.txt&subfolder=%2Ftmp").status == .forbidden)
            #expect(try await server.get("/view?filename=secret.txt&subfolder=escape").status == .forbidden)
            #expect(try await server.get("/view?filename=link.txt").status == .forbidden)
            #expect(try await server.get("/view?filename=x.png&type=elsewhere").status == .badRequest)
            #expect(try await server.get("/view").status == .badRequest)

            let bytes = Data([1, 2, 3])
            #expect(try await Self.upload(server, [("image", "../evil.png", bytes)]).status == .badRequest)
            #expect(
                try await Self.upload(server, [("image", "a.png", bytes), ("subfolder", nil, Data("../..".utf8))])
                    .status == .forbidden)
            #expect(
                try await Self.upload(
                    server,
                    [
                        ("image", "a.png", bytes), ("subfolder", nil, Data("escape".utf8)),
                        ("type", nil, Data("output".utf8)),
                    ]
                ).status == .forbidden)
            #expect(!FileManager.default.fileExists(atPath: server.directory.appendingPathComponent("a.png").path))
            #expect(try await Self.upload(server, [("subfolder", nil, Data("x".utf8))]).status == .badRequest)
            #expect(
                try await server.request(
                    .post, "/upload/image", body: ByteBuffer(string: "plain"), headers: [.contentType: "text/plain"]
                ).status == .badRequest)
        }
    }

    @Test("an upload larger than --max-upload-size is refused with 413")
    func uploadLimit() async throws {
        try await TestServer.run(configure: { $0.maxUploadBytes = 1024 }) { server in
            let reply = try await Self.upload(server, [("image", "big.png", Data(count: 4096))])
            #expect(reply.status == .contentTooLarge)
            #expect(
                !FileManager.default.fileExists(atPath: server.directory.appendingPathComponent("input/big.png").path))
            #expect(try await Self.upload(server, [("image", "small.png", Data(count: 100))]).status == .ok)
        }
    }

    @Test("names longer than the file system takes are a 400, not a 500")
    func longNames() async throws {
        try await TestServer.run { (server) async throws -> Void in
            let bytes = Data([1, 2, 3])
            let long = String(repeating: "n", count: 300) + ".png"
            #expect(try await Self.upload(server, [("image", long, bytes)]).status == .badRequest)
            #expect(
                try await Self.upload(server, [("image", "a.png", bytes), ("subfolder", nil, Data(String(repeating: "d", count: 300).utf8))])
                    .status == .badRequest)
            #expect(try await server.get("/view?filename=\(long)").status == .badRequest)
            // A name that fits, but not with " (1)" added, is refused rather than failing to write.
            let edge = String(repeating: "e", count: 251) + ".png"
            #expect(try await Self.upload(server, [("image", edge, bytes)]).status == .ok)
            #expect(try await Self.upload(server, [("image", edge, Data([9]))]).status == .badRequest)
        }
    }

    @Test("/upload/mask refuses an original whose header claims more pixels than the engine allows")
    func maskOnAnOversizedOriginal() async throws {
        try await TestServer.run { (server) async throws -> Void in
            let output = server.directory.appendingPathComponent("output")
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            try Data(OversizedImages.png(width: 30000, height: 30000)).write(to: output.appendingPathComponent("huge.png"))
            let mask = try RasterImage(width: 1, height: 1, channels: 4, bitDepth: 8, samples: [0, 0, 0, 255]).encodedPNG()
            let (body, contentType) = Self.form([
                ("image", "mask.png", Data(mask)),
                ("original_ref", nil, Data(#"{"filename": "huge.png", "type": "output"}"#.utf8)),
            ])
            let reply = try await server.request(.post, "/upload/mask", body: body, headers: [.contentType: contentType])
            #expect(reply.status == .badRequest)
            #expect(try reply.json["error"]?.stringValue?.contains("30000 x 30000") == true)
        }
    }
}

import Foundation
import Hummingbird
import Loom
import LoomImaging
import Testing

/// The model, internal and template routes ComfyUI's frontend reads, in ComfyUI's shapes.
@Suite("frontend support routes")
struct FrontendRouteTests {
    /// A one-tensor safetensors file, with `metadata` as its `__metadata__` when given.
    static func safetensors(metadata: [String: String]?) -> Data {
        var header: JSONObject = ["w": ["dtype": "F32", "shape": [1], "data_offsets": [0, 4]]]
        if let metadata { header["__metadata__"] = .object(JSONObject(metadata.map { ($0, .string($1)) })) }
        var text = Array(JSONValue.object(header).jsonText(indent: nil).utf8)
        text += [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8)
        var length = UInt64(text.count).littleEndian
        return Data(bytes: &length, count: 8) + Data(text) + Data([0, 0, 128, 63])
    }

    @Test("model folders, their files and safetensors metadata")
    func modelRoutes() async throws {
        let directory = try TestServer.makeDirectory()
        let checkpoints = directory.appendingPathComponent("models/checkpoints")
        try FileManager.default.createDirectory(at: checkpoints.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Self.safetensors(metadata: ["modelspec.title": "Tiny", "format": "pt"]).write(to: checkpoints.appendingPathComponent("sub/tiny.safetensors"))
        try Self.safetensors(metadata: nil).write(to: checkpoints.appendingPathComponent("plain.safetensors"))
        try Data("not a model".utf8).write(to: checkpoints.appendingPathComponent("notes.txt"))
        try await TestServer.run(directory: directory) { server in
            let folders = try await server.json("/api/experiment/models").arrayValue ?? []
            #expect(folders.contains(["name": "checkpoints", "folders": [.string(checkpoints.path)]]))
            #expect(!folders.isEmpty && folders.allSatisfy { $0["folders"]?.arrayValue != nil })

            let files = try await server.json("/experiment/models/checkpoints").arrayValue ?? []
            #expect(files.compactMap { $0["name"]?.stringValue } == ["plain.safetensors", "sub/tiny.safetensors"])
            #expect(files.allSatisfy { $0["pathIndex"] == 0 && $0["modified"]?.doubleValue ?? 0 > 0 })
            #expect(files.first?["size"] == .int(Self.safetensors(metadata: nil).count))
            #expect(try await server.get("/api/experiment/models/no_such_folder").status == .notFound)

            let metadata = try await server.json("/api/view_metadata/checkpoints?filename=sub/tiny.safetensors")
            #expect(metadata == ["format": "pt", "modelspec.title": "Tiny"])
            for query in ["checkpoints?filename=plain.safetensors", "checkpoints?filename=notes.txt", "checkpoints",
                          "loras?filename=sub/tiny.safetensors", "checkpoints?filename=../checkpoints/plain.safetensors"] {
                #expect(try await server.get("/view_metadata/\(query)").status == .notFound, "\(query)")
            }

            let paths = try await server.json("/internal/folder_paths")
            #expect(paths["checkpoints"] == [.string(checkpoints.path)])
            #expect(paths["vae"]?.arrayValue?.isEmpty == false)
        }
    }

    @Test("a model's preview: a picture beside it, else its safetensors cover image, as WebP")
    func modelPreviews() async throws {
        func png(width: Int, height: Int) throws -> Data {
            let samples = [UInt16](repeating: 200, count: width * height * 3)
            return Data(try RasterImage(width: width, height: height, channels: 3, bitDepth: 8, samples: samples).encodedPNG())
        }
        let directory = try TestServer.makeDirectory()
        let loras = directory.appendingPathComponent("models/loras")
        try FileManager.default.createDirectory(at: loras.appendingPathComponent("style"), withIntermediateDirectories: true)
        try Self.safetensors(metadata: nil).write(to: loras.appendingPathComponent("style/ink.safetensors"))
        try png(width: 3, height: 2).write(to: loras.appendingPathComponent("style/ink.preview.png"))
        let cover = try png(width: 5, height: 4).base64EncodedString()
        try Self.safetensors(metadata: ["ssmd_cover_images": "[\"\(cover)\"]"]).write(to: loras.appendingPathComponent("covered.safetensors"))
        try Self.safetensors(metadata: nil).write(to: loras.appendingPathComponent("bare.safetensors"))
        try await TestServer.run(directory: directory) { server in
            for (path, size) in [("style/ink.safetensors", (3, 2)), ("covered.safetensors", (5, 4))] {
                let reply = try await server.get("/api/experiment/models/preview/loras/0/\(path)")
                #expect(reply.status == .ok && reply.headers[.contentType] == "image/webp", "\(path)")
                let image = try ImageFile.decode(Array(buffer: reply.body))
                #expect((image.width, image.height) == size, "\(path)")
            }
            for path in ["loras/0/bare.safetensors", "loras/0/missing.safetensors", "loras/1/covered.safetensors",
                         "loras/x/covered.safetensors", "no_such_folder/0/covered.safetensors"] {
                #expect(try await server.get("/experiment/models/preview/\(path)").status == .notFound, "\(path)")
            }
            #expect(try await server.get("/experiment/models/preview/loras/0/..%2F..%2Fsecret.png").status != .ok)
        }
    }

    @Test("/internal/files lists a folder newest first; another type is refused")
    func internalFiles() async throws {
        try await TestServer.run { server in
            let input = server.directory.appendingPathComponent("input")
            for (index, name) in ["old.png", "new.png", "middle.png"].enumerated() {
                let url = input.appendingPathComponent(name)
                try Data([UInt8(index)]).write(to: url)
                let age: [Double] = [300, 0, 100]
                try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age[index])], ofItemAtPath: url.path)
            }
            try FileManager.default.createDirectory(at: input.appendingPathComponent("folder"), withIntermediateDirectories: true)
            #expect(try await server.json("/internal/files/input") == ["new.png", "middle.png", "old.png"])
            #expect(try await server.json("/internal/files/output") == [])
            let refused = try await server.get("/internal/files/models")
            #expect(try refused.status == .badRequest && refused.json == ["error": "Invalid directory type"])
        }
    }

    @Test("the log panel: recent lines, raw entries, and new lines for subscribed WebSocket clients")
    func logs() async throws {
        try await TestServer.run(logLevel: .info) { server in
            let client = try await server.connect(clientID: "log-reader")
            #expect(try await server.request(
                .patch, "/internal/logs/subscribe", body: ByteBuffer(string: #"{"clientId": "log-reader", "enabled": true}"#)
            ).status == .ok)
            let prompt = try await server.queue(Prompts.concatenate("log", "me"))
            _ = try await server.waitForHistory(prompt)
            let line = try await client.waitFor { message in
                message.type == "logs"
                    && (message.data["entries"]?.arrayValue ?? []).contains { $0["m"]?.stringValue?.contains(prompt) == true }
            }
            let entry = try #require(line.data["entries"]?.arrayValue?.first)
            #expect(entry["t"]?.stringValue?.count == 26 && entry["m"]?.stringValue?.hasSuffix("\n") == true)

            let raw = try await server.json("/internal/logs/raw")
            #expect(raw["size"] == ["cols": 80, "rows": 24])
            #expect((raw["entries"]?.arrayValue ?? []).contains { $0["m"]?.stringValue?.contains(prompt) == true })
            let text = try await server.json("/internal/logs").stringValue ?? ""
            #expect(text.contains(" - ") && text.contains(prompt))
            #expect(try await server.request(.patch, "/internal/logs/subscribe", body: ByteBuffer(string: "{}")).status == .badRequest)
            await client.close()
        }
    }

    @Test("/templates serves the installed workflow template packages' files, confined to them")
    func templates() async throws {
        let roots = try (0..<2).map { _ in try TestServer.makeDirectory() }
        try Data(#"[{"moduleName": "default"}]"#.utf8).write(to: roots[0].appendingPathComponent("index.json"))
        try FileManager.default.createDirectory(at: roots[1].appendingPathComponent("thumbs"), withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: roots[1].appendingPathComponent("thumbs/flux-1.webp"))
        try Data("secret".utf8).write(to: roots[1].deletingLastPathComponent().appendingPathComponent("secret-\(UUID()).txt"))
        try await TestServer.run(configure: { $0.templateRoots = roots }) { server in
            let index = try await server.get("/templates/index.json")
            #expect(try index.status == .ok && index.json == [["moduleName": "default"]])
            #expect(index.headers[.contentType]?.hasPrefix("application/json") == true)
            let thumbnail = try await server.get("/templates/thumbs/flux-1.webp")
            #expect(thumbnail.status == .ok && Array(buffer: thumbnail.body) == [1, 2, 3])
            #expect(try await server.get("/templates/missing.json").status == .notFound)
            #expect(try await server.get("/templates/..%2Fsecret.txt").status != .ok)
        }
        try await TestServer.run { (server: TestServer) async throws in
            #expect(try await server.get("/templates/index.json").status == .notFound)
        }
    }
}

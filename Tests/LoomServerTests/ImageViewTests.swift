import Foundation
import Hummingbird
import LoomImaging
import LoomServer
import Testing

@Suite("GET /view re-encoding and POST /upload/mask")
struct ImageViewTests {
    /// 4×2 RGBA: red ramp, green 100, blue 7, alpha from 0 to 255 across the pixels, with a text chunk.
    static let rgba = RasterImage(
        width: 4, height: 2, channels: 4, bitDepth: 8,
        samples: (0..<8).flatMap { (pixel: Int) -> [UInt16] in [UInt16(pixel * 30), 100, 7, UInt16(pixel * 255 / 7)] },
        textChunks: [PNGTextChunk(key: "prompt", text: "{}")])

    static func store(_ raster: RasterImage, as name: String, in folder: String, of server: TestServer) throws {
        let directory = server.directory.appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(try raster.encodedPNG()).write(to: directory.appendingPathComponent(name))
    }

    static func decode(_ reply: HTTPReply) throws -> RasterImage {
        try RasterImage(decodingPNG: Array(buffer: reply.body))
    }

    @Test("channel=rgb drops alpha, channel=a keeps only alpha, rgba serves the file as stored")
    func channels() async throws {
        try await TestServer.run { server in
            try Self.store(Self.rgba, as: "a.png", in: "output", of: server)
            let rgb = try Self.decode(try await server.get("/view?filename=a.png&channel=rgb"))
            #expect(rgb.channels == 3 && rgb.width == 4 && rgb.height == 2)
            #expect(Array(rgb.samples[3..<6]) == [30, 100, 7])

            let alpha = try await server.get("/view?filename=a.png&channel=a")
            #expect(alpha.headers[.contentType] == "image/png")
            let alphaImage = try Self.decode(alpha)
            #expect(alphaImage.channels == 4)
            #expect(
                alphaImage.samples
                    == (0..<8).flatMap { (pixel: Int) -> [UInt16] in [0, 0, 0, UInt16(pixel * 255 / 7)] })

            let stored = try await server.get("/view?filename=a.png&channel=rgba")
            #expect(Data(buffer: stored.body) == Data(try Self.rgba.encodedPNG()))
        }
    }

    @Test("preview=jpeg;Q re-encodes as JPEG at that quality; webp previews keep alpha when asked")
    func previews() async throws {
        try await TestServer.run { server in
            let photo = RasterImage(
                width: 64, height: 64, channels: 3, bitDepth: 8,
                samples: (0..<(64 * 64)).flatMap { (pixel: Int) -> [UInt16] in
                    [UInt16(pixel % 64 * 4), UInt16(pixel / 64 * 4), 90]
                })
            try Self.store(photo, as: "photo.png", in: "input", of: server)
            let high = try await server.get("/view?filename=photo.png&type=input&preview=jpeg;95")
            let low = try await server.get("/view?filename=photo.png&type=input&preview=jpeg;10")
            #expect(high.headers[.contentType] == "image/jpeg")
            let decoded = try RasterImage(decodingJPEG: Array(buffer: high.body))
            #expect(decoded.width == 64 && decoded.channels == 3)
            let error = zip(decoded.samples, photo.samples).map { abs(Int($0) - Int($1)) }.max() ?? 255
            #expect(error < 16, "JPEG at quality 95 differs by \(error)")
            #expect(low.body.readableBytes < high.body.readableBytes)

            let webp = try await server.get("/view?filename=photo.png&type=input&preview=webp;90")
            #expect(webp.headers[.contentType] == "image/webp")
            #expect(Array(Array(buffer: webp.body)[8..<12]) == Array("WEBP".utf8))
            // Alpha asked for with a JPEG preview: ComfyUI answers WebP, which carries alpha.
            try Self.store(Self.rgba, as: "a.png", in: "output", of: server)
            let withAlpha = try await server.get("/view?filename=a.png&preview=jpeg;90&channel=rgba")
            #expect(withAlpha.headers[.contentType] == "image/webp")
            #expect(Array(buffer: withAlpha.body).count > 12)
            #expect(try await server.get("/view?filename=missing.png&preview=jpeg;90").status == .notFound)
        }
    }

    @Test("/upload/mask stores the referenced image with the uploaded alpha and its text chunks")
    func uploadMask() async throws {
        try await TestServer.run { server in
            let original = RasterImage(
                width: 4, height: 2, channels: 3, bitDepth: 8, samples: (0..<24).map { UInt16($0 * 10) },
                textChunks: [PNGTextChunk(key: "workflow", text: "{\"nodes\":[]}")])
            try Self.store(original, as: "photo.png", in: "output", of: server)
            let mask = Data(try Self.rgba.encodedPNG())
            let reference = Data(#"{"filename":"photo.png","type":"output","subfolder":""}"#.utf8)
            let (body, contentType) = FileRouteTests.form([
                ("image", "clipspace-mask.png", mask), ("original_ref", nil, reference),
                ("subfolder", nil, Data("clipspace".utf8)),
            ])
            let reply = try await server.request(
                .post, "/upload/mask", body: body, headers: [.contentType: contentType])
            #expect(reply.status == .ok)
            #expect(try reply.json == ["name": "clipspace-mask.png", "subfolder": "clipspace", "type": "input"])
            let stored = try ImageFile.read(
                at: server.directory.appendingPathComponent("input/clipspace/clipspace-mask.png").path)
            #expect(stored.channels == 4 && stored.text("workflow") == "{\"nodes\":[]}")
            let expected = (0..<8).flatMap { (pixel: Int) -> [UInt16] in
                Array(original.samples[pixel * 3..<pixel * 3 + 3]) + [UInt16(pixel * 255 / 7)]
            }
            #expect(stored.samples == expected)

            let wrongSize = RasterImage(
                width: 2, height: 2, channels: 4, bitDepth: 8, samples: Array(repeating: 9, count: 16))
            let (badBody, badType) = FileRouteTests.form([
                ("image", "m.png", Data(try wrongSize.encodedPNG())), ("original_ref", nil, reference),
            ])
            #expect(
                try await server.request(.post, "/upload/mask", body: badBody, headers: [.contentType: badType]).status
                    == .badRequest)
            let (escapeBody, escapeType) = FileRouteTests.form([
                ("image", "m.png", mask), ("original_ref", nil, Data(#"{"filename":"../x.png"}"#.utf8)),
            ])
            #expect(
                try await server.request(.post, "/upload/mask", body: escapeBody, headers: [.contentType: escapeType])
                    .status == .badRequest)
        }
    }
}

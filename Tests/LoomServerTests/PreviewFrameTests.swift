import Loom
import LoomImaging
@testable import LoomServer
import Testing

@Suite struct PreviewFrameTests {
    @Test func previewsGoToTheirClientAsComfyUIBinaryFrames() async throws {
        let preview = ProgressPreview(width: 2, height: 1, rgb: [255, 0, 0, 10, 20, 30])
        let frame = try #require(PreviewFrame(preview))
        // Event type 1 (PREVIEW_IMAGE) and image format 2 (PNG), both big-endian, then the PNG.
        #expect(Array(frame.bytes.prefix(8)) == [0, 0, 0, 1, 0, 0, 0, 2])
        let decoded = try RasterImage(decodingPNG: Array(frame.bytes.dropFirst(8)))
        #expect(decoded.width == 2 && decoded.height == 1 && decoded.channels == 3)
        #expect(decoded.samples == [255, 0, 0, 10, 20, 30])

        let hub = ClientHub()
        let (_, messages) = hub.connect("viewer")
        let (_, otherMessages) = hub.connect("other")
        hub.send(binary: frame.bytes, to: "viewer")
        hub.disconnectAll()
        var received: [ClientHub.Frame] = []
        for await message in messages { received.append(message) }
        #expect(received == [.binary(frame.bytes)])
        var others = 0
        for await _ in otherMessages { others += 1 }
        #expect(others == 0)
    }

    @Test func aRunningNodesPreviewsReachTheSubmitterOverTheWebSocket() async throws {
        try await TestServer.run { server in
            let submitter = try await server.connect(clientID: "watcher")
            let bystander = try await server.connect(clientID: "bystander")
            let prompt = try await server.queue(["1": ["class_type": "TestPreview", "inputs": ["seed": 1]]], clientID: "watcher")
            try await submitter.waitForEnd(of: prompt)
            let frames = submitter.binaryMessages
            #expect(frames.count == 2)
            for (step, frame) in frames.enumerated() {
                #expect(Array(frame.prefix(8)) == [0, 0, 0, 1, 0, 0, 0, 2])
                let picture = try RasterImage(decodingPNG: Array(frame.dropFirst(8)))
                #expect(picture.samples == [UInt16(step + 1), 0, 0, 0, 0, 255])
            }
            // Previews are never JSON messages, and nobody else sees them.
            #expect(!submitter.messages.contains { $0.type == "b_preview" })
            #expect(bystander.binaryMessages.isEmpty)
            await submitter.close()
            await bystander.close()
        }
    }
}

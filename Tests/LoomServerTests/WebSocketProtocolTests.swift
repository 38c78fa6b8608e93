import Foundation
import Loom
@testable import LoomServer
import LoomImaging
import Testing

/// The WebSocket protocol as ComfyUI's server speaks it: the `feature_flags` handshake, `progress_state`,
/// and previews in ComfyUI's order, format and amount.
@Suite("WebSocket protocol")
struct WebSocketProtocolTests {
    static let previewPrompt: JSONValue = ["1": ["class_type": "TestPreview", "inputs": ["seed": 1]]]

    @Test("a client's feature_flags get the server's flags back; one that supports metadata gets previews with it")
    func featureFlagsHandshake() async throws {
        try await TestServer.run { server in
            let handshake = #"{"type": "feature_flags", "data": {"supports_preview_metadata": true}}"#
            let client = try await server.connect(clientID: "flags", firstMessage: handshake)
            let flags = try await client.waitFor { $0.type == "feature_flags" }
            #expect(flags.data["supports_preview_metadata"] == true)
            #expect(flags.data["max_upload_size"] == .int(server.server.configuration.maxUploadBytes))
            #expect(try await server.json("/api/features") == .object(flags.data))

            let prompt = try await server.queue(Self.previewPrompt, clientID: "flags")
            try await client.waitForEnd(of: prompt)
            let frames = client.binaryMessages
            #expect(frames.count == 2)
            for (step, frame) in frames.enumerated() {
                // PREVIEW_IMAGE_WITH_METADATA: event 4, metadata length, metadata JSON, then the PNG.
                #expect(Array(frame.prefix(4)) == [0, 0, 0, 4])
                let length = frame[4..<8].reduce(0) { $0 << 8 | Int($1) }
                let metadata = try JSONValue(parsing: Array(frame[8..<(8 + length)]))
                #expect(metadata["node_id"] == "1" && metadata["prompt_id"] == .string(prompt))
                #expect(metadata["image_type"] == "image/png" && metadata["display_node_id"] == "1")
                let picture = try RasterImage(decodingPNG: Array(frame.dropFirst(8 + length)))
                #expect(picture.samples == [UInt16(step + 1), 0, 0, 0, 0, 255])
            }
            await client.close()
        }
    }

    @Test("progress text is ComfyUI's TEXT frame: type 3, the node id's length, the node id, then UTF-8 text")
    func progressTextLayout() throws {
        // What ComfyUI's send_progress_text sends for node "12": struct.pack(">I", 3) + struct.pack(">I", 2)
        // + b"12" + the text's UTF-8 bytes.
        let frame = try #require(ProgressTextFrame(node: "12", text: "width: 8\n ü"))
        #expect(frame.bytes == [0, 0, 0, 3, 0, 0, 0, 2] + Array("12".utf8) + [119, 105, 100, 116, 104, 58, 32, 56, 10, 32, 0xC3, 0xBC])
        // The length counts bytes, not characters.
        let wide = try #require(ProgressTextFrame(node: "5:ü", text: ""))
        #expect(wide.bytes == [0, 0, 0, 3, 0, 0, 0, 4, 53, 58, 0xC3, 0xBC])
    }

    @Test("GetImageSize shows the size on its node as ComfyUI does, in a TEXT frame to the submitter only")
    func getImageSizeSendsProgressText() async throws {
        try await TestServer.run { server in
            let submitter = try await server.connect(clientID: "sizes")
            let bystander = try await server.connect(clientID: "bystander-text")
            let prompt: JSONValue = [
                "1": ["class_type": "EmptyImage", "inputs": ["width": 8, "height": 4, "batch_size": 2, "color": 0]],
                "2": ["class_type": "GetImageSize", "inputs": ["image": ["1", 0]]],
                "3": ["class_type": "PreviewAny", "inputs": ["source": ["2", 0]]],
            ]
            let id = try await server.queue(prompt, clientID: "sizes")
            try await submitter.waitForEnd(of: id)
            let text = Array("width: 8, height: 4\n batch size: 2".utf8)
            #expect(submitter.binaryMessages == [[0, 0, 0, 3, 0, 0, 0, 1, 50] + text])
            #expect(bystander.binaryMessages.isEmpty)
            await submitter.close()
            await bystander.close()
        }
    }

    @Test("a client without the handshake gets plain previews, each after its step's progress_state and progress")
    func progressStateAndOrder() async throws {
        try await TestServer.run { server in
            let client = try await server.connect(clientID: "order")
            let prompt = try await server.queue(Self.previewPrompt, clientID: "order")
            try await client.waitForEnd(of: prompt)
            // Queue status broadcasts interleave; the prompt's own messages are what is ordered.
            let run = client.arrivals.drop { $0 != "execution_start" }.filter { $0 != "status" }
            #expect(Array(run) == [
                "execution_start", "execution_cached", "progress_state", "executing",
                "progress_state", "progress", "binary:1", "progress_state", "progress", "binary:1",
                "executed", "progress_state", "execution_success", "executing",
            ])
            let states = client.messages(for: prompt).filter { $0.type == "progress_state" }.map { $0.data["nodes"]?["1"] }
            #expect(states.map { $0?["state"] } == ["running", "running", "running", "finished"])
            #expect(states.map { $0?["value"] } == [0, 1, 2, 2])
            #expect(states.map { $0?["max"] } == [1, 2, 2, 2])
            #expect(states.first??["node_id"] == "1" && states.first??["prompt_id"] == .string(prompt))
            #expect(states.first??["real_node_id"] == "1" && states.first??["parent_node_id"] == .null)
            await client.close()
        }
    }

    @Test("--preview-method none sends no previews unless a prompt's extra_data asks, and a prompt can turn them off")
    func previewMethod() async throws {
        try await TestServer.run { server in
            let client = try await server.connect(clientID: "method")
            server.server.engine.resources.set(PreviewMethod.none)
            let quiet = try await server.queue(Self.previewPrompt, clientID: "method")
            try await client.waitForEnd(of: quiet)
            #expect(client.binaryMessages.isEmpty)
            #expect(client.messages(for: quiet).filter { $0.type == "progress" }.count == 2)

            let asked = try await server.queue(
                ["1": ["class_type": "TestPreview", "inputs": ["seed": 2]]], clientID: "method",
                extra: ["extra_data": ["preview_method": "latent2rgb"]])
            try await client.waitForEnd(of: asked)
            #expect(client.binaryMessages.count == 2)

            server.server.engine.resources.set(PreviewMethod.auto)
            let off = try await server.queue(
                ["1": ["class_type": "TestPreview", "inputs": ["seed": 3]]], clientID: "method",
                extra: ["extra_data": ["preview_method": "none"]])
            try await client.waitForEnd(of: off)
            #expect(client.binaryMessages.count == 2)
            await client.close()
        }
    }

    @Test("PreviewMethod reads extra_data as ComfyUI's set_preview_method does")
    func previewMethodOverride() {
        #expect(PreviewMethod.forPrompt([:], serverDefault: .none) == .none)
        #expect(PreviewMethod.forPrompt(["preview_method": "default"], serverDefault: .latent2rgb) == .latent2rgb)
        #expect(PreviewMethod.forPrompt(["preview_method": "taesd"], serverDefault: .none) == .taesd)
        #expect(PreviewMethod.forPrompt(["preview_method": 3], serverDefault: .auto) == .auto)
        #expect(!PreviewMethod.none.showsPreviews && PreviewMethod.taesd.showsPreviews)
    }
}

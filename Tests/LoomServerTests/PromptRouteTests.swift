import Foundation
import HummingbirdTesting
import Loom
import LoomServer
import NIOCore
import Testing

@Suite("POST /prompt, GET /prompt and POST /run")
struct PromptRouteTests {
    @Test("a valid prompt is queued with a lowercase UUID, a number and empty node_errors, then runs")
    func queuesAndRuns() async throws {
        try await TestServer.run { server in
            let reply = try await server.post(
                "/prompt", json: Prompts.body(Prompts.concatenate("a", "b"), clientID: "c1"))
            #expect(reply.status == .ok)
            let json = try reply.json
            #expect(json.objectValue?.keys == ["prompt_id", "number", "node_errors"])
            let id = try #require(json["prompt_id"]?.stringValue)
            #expect(UUID(uuidString: id)?.uuidString.lowercased() == id)
            #expect(json["number"] == .int(0))
            #expect(json["node_errors"] == .object([:]))

            let entry = try await server.waitForHistory(id)
            #expect(entry["outputs"] == ["3": ["text": ["a, b"]]])
            #expect(entry["status"]?["status_str"] == "success")
            #expect(entry["status"]?["completed"] == true)
            let item = try #require(entry["prompt"]?.arrayValue)
            #expect(item.count == 5)
            #expect(item[1] == .string(id))
            #expect(item[2]["3"]?["class_type"] == "PreviewAny")
            #expect(item[3]["client_id"] == "c1")
            #expect(item[4] == ["3"])
            #expect(entry["meta"]?["3"]?["node_id"] == "3")
            let events = entry["status"]?["messages"]?.arrayValue?.compactMap { $0.arrayValue?.first?.stringValue }
            #expect(events == ["execution_start", "execution_cached", "execution_success"])
        }
    }

    @Test("every route answers under /api too")
    func apiPrefix() async throws {
        try await TestServer.run { server in
            let reply = try await server.post("/api/prompt", json: Prompts.body(Prompts.concatenate("x", "y")))
            #expect(reply.status == .ok)
            let id = try #require(try reply.json["prompt_id"]?.stringValue)
            _ = try await server.waitForHistory(id)
            #expect(try await server.get("/api/history/\(id)").json[id]?["outputs"]?["3"] == ["text": ["x, y"]])
            #expect(try await server.get("/api/prompt").json == ["exec_info": ["queue_remaining": 0]])
        }
    }

    @Test("an invalid prompt gets ComfyUI's 400 body with node_errors")
    func validationErrors() async throws {
        try await TestServer.run { server in
            var prompt = try #require(Prompts.concatenate("a", "b").objectValue)
            prompt["2"] = ["class_type": "StringConcatenate", "inputs": ["string_a": ["1", 0], "delimiter": ""]]
            let reply = try await server.post("/prompt", json: Prompts.body(.object(prompt)))
            #expect(reply.status == .badRequest)
            let json = try reply.json
            #expect(json["error"]?["type"] == "prompt_outputs_failed_validation")
            #expect(json["error"]?["message"] == "Prompt outputs failed validation")
            let nodeError = try #require(json["node_errors"]?["2"])
            #expect(nodeError["class_type"] == "StringConcatenate")
            #expect(nodeError["dependent_outputs"] == ["3"])
            #expect(nodeError["errors"]?[0]?["type"] == "required_input_missing")
            #expect(nodeError["errors"]?[0]?["extra_info"]?["input_name"] == "string_b")
            #expect(try await server.get("/queue").json["queue_pending"] == [])
        }
    }

    @Test("a prompt with one valid and one invalid output runs the valid one and reports the other")
    func partiallyValid() async throws {
        try await TestServer.run { server in
            var prompt = try #require(Prompts.concatenate("ok", "fine").objectValue)
            prompt["4"] = ["class_type": "StringConcatenate", "inputs": ["string_a": ["1", 0], "delimiter": ""]]
            prompt["5"] = ["class_type": "PreviewAny", "inputs": ["source": ["4", 0]]]
            let reply = try await server.post("/prompt", json: Prompts.body(.object(prompt)))
            #expect(reply.status == .ok)
            let json = try reply.json
            #expect(json["node_errors"]?.objectValue?.keys == ["4"])
            #expect(json["node_errors"]?["4"]?["dependent_outputs"] == ["5"])
            let id = try #require(json["prompt_id"]?.stringValue)
            let entry = try await server.waitForHistory(id)
            #expect(entry["prompt"]?[4] == ["3"])
            #expect(entry["outputs"] == ["3": ["text": ["ok, fine"]]])
        }
    }

    @Test("a missing prompt is no_prompt; a non-canonical prompt_id is invalid_prompt_id")
    func promptLevelErrors() async throws {
        try await TestServer.run { server in
            let missing = try await server.post("/prompt", json: ["client_id": "c"])
            #expect(missing.status == .badRequest)
            #expect(
                try missing.json
                    == [
                        "error": [
                            "type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided",
                            "extra_info": [:],
                        ],
                        "node_errors": [:],
                    ])
            for bad in ["not-a-uuid", UUID().uuidString.uppercased(), "{\(UUID().uuidString.lowercased())}"] {
                let reply = try await server.post(
                    "/prompt", json: Prompts.body(Prompts.concatenate("a", "b"), extra: ["prompt_id": .string(bad)]))
                #expect(reply.status == .badRequest)
                #expect(try reply.json["error"]?["type"] == "invalid_prompt_id")
                #expect(try reply.json["error"]?["message"] == "prompt_id must be a valid UUID")
            }
            let chosen = UUID().uuidString.lowercased()
            let accepted = try await server.post(
                "/prompt", json: Prompts.body(Prompts.concatenate("a", "b"), extra: ["prompt_id": .string(chosen)]))
            #expect(try accepted.json["prompt_id"] == .string(chosen))
            let reused = try await server.post(
                "/prompt", json: Prompts.body(Prompts.concatenate("a", "b"), extra: ["prompt_id": .string(chosen)]))
            #expect(reused.status == .badRequest)
            #expect(try reused.json["error"]?["type"] == "invalid_prompt_id")
        }
    }

    @Test("malformed JSON, wrong field types and oversized bodies are refused with a message")
    func malformedRequests() async throws {
        try await TestServer.run(configure: { $0.maxUploadBytes = 4096 }) { server in
            let broken = try await server.post("/prompt", text: "{\"prompt\": {")
            #expect(broken.status == .badRequest)
            #expect(try broken.json["error"]?.stringValue?.contains("not valid JSON") == true)

            let wrongFront = try await server.post(
                "/prompt", json: Prompts.body(Prompts.concatenate("a", "b"), extra: ["front": "yes"]))
            #expect(wrongFront.status == .badRequest)
            #expect(try wrongFront.json["error"] == "front must be true or false, found str")

            let wrongNumber = try await server.post(
                "/prompt", json: Prompts.body(Prompts.concatenate("a", "b"), extra: ["number": "1"]))
            #expect(wrongNumber.status == .badRequest)

            let notAnObject = try await server.post("/prompt", json: [1, 2])
            #expect(notAnObject.status == .badRequest)

            let badNode = try await server.post("/prompt", json: ["prompt": ["1": ["inputs": [:]]]])
            #expect(badNode.status == .badRequest)
            #expect(try badNode.json["error"]?["type"] == "invalid_prompt")

            let huge = try await server.post(
                "/prompt", json: Prompts.body(Prompts.concatenate(String(repeating: "x", count: 5000), "b")))
            #expect(huge.status == .contentTooLarge)

            let wrongQueue = try await server.post("/queue", json: ["delete": "abc"])
            #expect(wrongQueue.status == .badRequest)
            // The server still works after all of these.
            let id = try await server.queue(Prompts.concatenate("still", "fine"))
            #expect(try await server.waitForHistory(id)["status"]?["status_str"] == "success")
        }
    }

    @Test("partial_execution_targets runs only the named outputs")
    func partialExecution() async throws {
        try await TestServer.run { server in
            var prompt = try #require(Prompts.concatenate("a", "b").objectValue)
            prompt["4"] = ["class_type": "PreviewAny", "inputs": ["source": ["1", 0]]]
            let id = try await server.queue(.object(prompt), extra: ["partial_execution_targets": ["4"]])
            let entry = try await server.waitForHistory(id)
            #expect(entry["outputs"] == ["4": ["text": ["a"]]])
            #expect(entry["prompt"]?[4] == ["4"])

            let empty = try await server.post(
                "/prompt", json: Prompts.body(.object(prompt), extra: ["partial_execution_targets": []]))
            #expect(empty.status == .badRequest)
        }
    }

    @Test("a UI workflow is converted on the server, as the prompt or as the whole body")
    func uiWorkflow() async throws {
        let workflow: JSONValue = [
            "last_node_id": 2, "last_link_id": 1,
            "nodes": [
                [
                    "id": 1, "type": "PrimitiveString", "pos": [0, 0], "size": [200, 60], "flags": [:], "order": 0,
                    "mode": 0, "inputs": [],
                    "outputs": [["name": "STRING", "type": "STRING", "links": [1], "slot_index": 0]],
                    "properties": [:], "widgets_values": ["from the UI"],
                ],
                [
                    "id": 2, "type": "PreviewAny", "pos": [300, 0], "size": [200, 60], "flags": [:], "order": 1,
                    "mode": 0,
                    "inputs": [["name": "source", "type": "*", "link": 1]], "outputs": [], "properties": [:],
                    "widgets_values": [],
                ],
            ],
            "links": [[1, 1, 0, 2, 0, "STRING"]], "groups": [], "config": [:], "extra": [:], "version": 0.4,
        ]
        try await TestServer.run { server in
            let id = try await server.queue(workflow)
            let entry = try await server.waitForHistory(id)
            #expect(entry["outputs"] == ["2": ["text": ["from the UI"]]])
            #expect(entry["prompt"]?[2]?["1"]?["class_type"] == "PrimitiveString")
            #expect(entry["prompt"]?[3]?["extra_pnginfo"]?["workflow"] == workflow)

            let bare = try await server.post("/prompt", json: workflow)
            #expect(bare.status == .ok)
        }
    }

    @Test("front puts a prompt before those already waiting; prompts run in queue order")
    func frontOfQueue() async throws {
        try await TestServer.run { server in
            let gate = "front-\(UUID())"
            let blocker = try await server.queue(Prompts.gated(gate))
            _ = try await server.waitForQueue { $0.promptIDs("queue_running") == [blocker] }
            let first = try await server.queue(Prompts.concatenate("1", "x"))
            let second = try await server.queue(Prompts.concatenate("2", "x"))
            let jumper = try await server.post(
                "/prompt", json: Prompts.body(Prompts.concatenate("3", "x"), extra: ["front": true]))
            let jumperID = try #require(try jumper.json["prompt_id"]?.stringValue)
            #expect(try (jumper.json["number"]?.intValue ?? 0) < 0)
            let queue = try await server.get("/queue").json
            #expect(queue.promptIDs("queue_pending") == [jumperID, first, second])
            #expect(try await server.get("/prompt").json["exec_info"]?["queue_remaining"] == 4)

            Gates.open(gate)
            _ = try await server.waitForHistory(second)
            let order = try await server.get("/history").json.objectValue?.keys
            #expect(order == [blocker, jumperID, first, second])
        }
    }

    @Test("POST /run answers when the prompt has finished, with its outputs and status")
    func blockingRun() async throws {
        try await TestServer.run { server in
            let reply = try await server.post("/run", json: Prompts.body(Prompts.concatenate("wait", "for me")))
            #expect(reply.status == .ok)
            let json = try reply.json
            #expect(json["outputs"] == ["3": ["text": ["wait, for me"]]])
            #expect(json["status"]?["status_str"] == "success")
            #expect(json["prompt_id"]?.stringValue != nil)
            #expect(json["node_errors"] == .object([:]))

            let failed = try await server.post("/api/run", json: Prompts.body(Prompts.failing))
            #expect(failed.status == .ok)
            #expect(try failed.json["status"]?["status_str"] == "error")
            let messages = try failed.json["status"]?["messages"]?.arrayValue ?? []
            let error = messages.first { $0[0] == "execution_error" }
            #expect(error?[1]?["exception_message"]?.stringValue?.contains("deliberate failure") == true)

            let invalid = try await server.post("/run", json: ["client_id": "x"])
            #expect(invalid.status == .badRequest)
        }
    }

    @Test("a POST /run client that hangs up does not stop its prompt")
    func blockingRunDisconnect() async throws {
        try await TestServer.run { server in
            let gate = "run-hangup-\(UUID())"
            let chosen = UUID().uuidString.lowercased()
            let body = Prompts.body(Prompts.gated(gate), extra: ["prompt_id": .string(chosen)])
            try await TestClient.withClient(host: "127.0.0.1", port: server.port) { client in
                try await client.executeAndDontWaitForResponse(
                    TestClient.Request(
                        "/run", method: .post, authority: "127.0.0.1:\(server.port)",
                        body: ByteBuffer(string: body.jsonText(indent: nil))))
                _ = try await server.waitForQueue { $0.promptIDs("queue_running") == [chosen] }
            }
            Gates.open(gate)
            #expect(try await server.waitForHistory(chosen)["status"]?["status_str"] == "success")
        }
    }

    @Test("POST /run waiting on a prompt that is deleted from the queue answers 409")
    func blockingRunRemoved() async throws {
        try await TestServer.run { server in
            let gate = "run-removed-\(UUID())"
            let blocker = try await server.queue(Prompts.gated(gate))
            _ = try await server.waitForQueue { $0.promptIDs("queue_running") == [blocker] }
            let chosen = UUID().uuidString.lowercased()
            async let waiting = server.post(
                "/run", json: Prompts.body(Prompts.concatenate("a", "b"), extra: ["prompt_id": .string(chosen)]))
            _ = try await server.waitForQueue { $0.promptIDs("queue_pending") == [chosen] }
            _ = try await server.post("/queue", json: ["delete": [.string(chosen)]])
            let reply = try await waiting
            #expect(reply.status == .conflict)
            Gates.open(gate)
        }
    }
}

extension JSONValue {
    /// Array element access for terse assertions.
    subscript(index: Int) -> JSONValue? {
        guard let items = arrayValue, items.indices.contains(index) else { return nil }
        return items[index]
    }
}

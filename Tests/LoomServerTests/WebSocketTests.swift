import Foundation
import Loom
import LoomServer
import Testing

@Suite("WebSocket /ws")
struct WebSocketTests {
    @Test("a client first gets status with its sid and the queue length")
    func statusOnConnect() async throws {
        try await TestServer.run { server in
            let client = try await server.connect(clientID: "first-client")
            let status = try #require(client.messages.first)
            #expect(status == .status(queueRemaining: 0, sid: "first-client"))
            await client.close()

            let anonymous = try await server.connect(clientID: nil)
            let sid = try #require(anonymous.messages.first?.data["sid"]?.stringValue)
            #expect(sid.count == 32)
            await anonymous.close()
        }
    }

    @Test("a prompt's messages go, in ComfyUI's order, only to the client that submitted it")
    func messageSequence() async throws {
        try await TestServer.run { server in
            let submitter = try await server.connect(clientID: "submitter")
            let bystander = try await server.connect(clientID: "bystander")
            let first = try await server.queue(Prompts.concatenate("a", "b"), clientID: "submitter")
            try await submitter.waitForEnd(of: first)
            // The end is announced after the history entry is saved, so a client can fetch it right away.
            #expect(try await server.get("/history/\(first)").json[first] != nil)
            // The same prompt again: everything comes from the cache and the output is shown again.
            let second = try await server.queue(Prompts.concatenate("a", "b"), clientID: "submitter")
            try await submitter.waitForEnd(of: second)

            // progress_state interleaves with these; WebSocketProtocolTests checks it.
            let messages = submitter.messages(for: first).filter { $0.type != "progress_state" }
            #expect(
                messages.map(\.type) == [
                    "execution_start", "execution_cached", "executing", "executing", "executing", "executed",
                    "execution_success", "executing",
                ])
            #expect(messages.first?.type == "execution_start")
            #expect(messages.first?.data["timestamp"]?.intValue != nil)
            #expect(messages.dropFirst().first?.type == "execution_cached")
            let executed = messages.filter { $0.type == "executed" }
            #expect(
                executed.last?.data == [
                    "node": "3", "display_node": "3", "output": ["text": ["a, b"]], "prompt_id": .string(first),
                ])
            #expect(
                messages.filter { $0.type == "executing" }.compactMap { $0.data["node"]?.stringValue } == [
                    "1", "2", "3",
                ])
            #expect(messages.suffix(2).map(\.type) == ["execution_success", "executing"])
            #expect(messages.last?.data == ["node": .null, "prompt_id": .string(first)])

            let cached = submitter.messages(for: second).filter { $0.type != "progress_state" }
            #expect(
                cached.map(\.type) == [
                    "execution_start", "execution_cached", "executed", "execution_success", "executing",
                ])
            #expect(cached[1].data["nodes"] == ["1", "2", "3"])
            #expect(cached[2].data["output"] == ["text": ["a, b"]])

            #expect(bystander.messages.allSatisfy { $0.type == "status" })
            #expect(bystander.messages.count > 1, "queue status is broadcast to every client")
            // The last broadcast may still be on its way to the bystander when the submitter sees its prompt end.
            let deadline = ContinuousClock.now + .seconds(10)
            while bystander.messages.last != .status(queueRemaining: 0), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(bystander.messages.last == .status(queueRemaining: 0))
            await submitter.close()
            await bystander.close()
        }
    }

    @Test("a client that disconnects mid-run does not stop the run")
    func disconnectMidRun() async throws {
        try await TestServer.run { server in
            let gate = "disconnect-\(UUID())"
            let client = try await server.connect(clientID: "leaver")
            let id = try await server.queue(Prompts.gated(gate), clientID: "leaver")
            _ = try await client.waitFor { $0.type == "executing" && $0.data["node"] == "1" }
            await client.close()
            // Coming back under the same id shows which node is running, after the status message.
            let returning = try await server.connect(clientID: "leaver")
            let resumed = try await returning.waitFor { $0.type == "executing" }
            #expect(resumed.data == ["node": "1", "display_node": "1", "prompt_id": .string(id)])
            #expect(returning.messages.first?.type == "status")
            await returning.close()
            Gates.open(gate)
            let entry = try await server.waitForHistory(id)
            #expect(entry["status"]?["status_str"] == "success")
            #expect(entry["outputs"] == ["1": ["text": [.string(gate)]]])
        }
    }

    @Test("a node error reports execution_error and the next prompt runs normally")
    func errorThenSuccess() async throws {
        try await TestServer.run { server in
            let client = try await server.connect(clientID: "errors")
            let failing = try await server.queue(Prompts.failing, clientID: "errors")
            let next = try await server.queue(Prompts.concatenate("after", "error"), clientID: "errors")
            try await client.waitForEnd(of: next)
            let error = try #require(client.messages(for: failing).first { $0.type == "execution_error" })
            #expect(error.data["node_id"] == "2")
            #expect(error.data["node_type"] == "TestFail")
            #expect(error.data["exception_message"]?.stringValue?.contains("deliberate failure") == true)
            #expect(client.messages(for: failing).last?.data["node"] == .null)
            let failedEntry = try await server.waitForHistory(failing)
            #expect(failedEntry["status"]?["status_str"] == "error")
            #expect(failedEntry["status"]?["completed"] == false)
            #expect(client.messages(for: next).contains { $0.type == "execution_success" })
            await client.close()
        }
    }
}

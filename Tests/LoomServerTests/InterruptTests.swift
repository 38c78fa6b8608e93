import Foundation
import Loom
import LoomServer
import Testing

@Suite("POST /interrupt")
struct InterruptTests {
    @Test("interrupting a specific running prompt stops it, and the next prompt runs unaffected")
    func interruptRunning() async throws {
        try await TestServer.run { server in
            let client = try await server.connect(clientID: "interrupter")
            let gate = "interrupt-\(UUID())"
            let running = try await server.queue(Prompts.gated(gate), clientID: "interrupter")
            let next = try await server.queue(Prompts.concatenate("next", "one"), clientID: "interrupter")
            _ = try await client.waitFor { $0.type == "executing" && $0.data["node"] == "1" }

            // Naming another prompt interrupts nothing.
            #expect(
                try await server.post("/interrupt", json: ["prompt_id": .string(UUID().uuidString.lowercased())]).status
                    == .ok)
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await server.get("/queue").json.promptIDs("queue_running") == [running])

            #expect(try await server.post("/interrupt", json: ["prompt_id": .string(running)]).status == .ok)
            try await client.waitForEnd(of: next)
            let interrupted = try #require(client.messages(for: running).first { $0.type == "execution_interrupted" })
            #expect(interrupted.data["node_id"] == "1")
            #expect(interrupted.data["node_type"] == "TestGate")
            let entry = try await server.waitForHistory(running)
            #expect(entry["status"]?["status_str"] == "error")
            #expect(entry["status"]?["completed"] == false)
            #expect(entry["status"]?["messages"]?.arrayValue?.last?[0] == "execution_interrupted")
            let nextEntry = try await server.waitForHistory(next)
            #expect(nextEntry["status"]?["status_str"] == "success")
            #expect(nextEntry["outputs"] == ["3": ["text": ["next, one"]]])
            await client.close()
        }
    }

    @Test("interrupting a prompt that has not started removes it from the queue; the running one goes on")
    func interruptPending() async throws {
        try await TestServer.run { server in
            let gate = "pending-\(UUID())"
            let running = try await server.queue(Prompts.gated(gate))
            let waiting = try await server.queue(Prompts.concatenate("never", "runs"))
            let kept = try await server.queue(Prompts.concatenate("still", "runs"))
            _ = try await server.waitForQueue { $0.promptIDs("queue_running") == [running] }

            #expect(try await server.post("/api/interrupt", json: ["prompt_id": .string(waiting)]).status == .ok)
            let queue = try await server.get("/queue").json
            #expect(queue.promptIDs("queue_pending") == [kept])
            #expect(queue.promptIDs("queue_running") == [running])

            Gates.open(gate)
            #expect(try await server.waitForHistory(running)["status"]?["status_str"] == "success")
            #expect(try await server.waitForHistory(kept)["status"]?["status_str"] == "success")
            #expect(try await server.get("/history/\(waiting)").json == .object([:]))
        }
    }

    @Test("an interrupt without a prompt_id stops whatever is running, and only that")
    func interruptAnything() async throws {
        try await TestServer.run { server in
            let gate = "any-\(UUID())"
            let running = try await server.queue(Prompts.gated(gate))
            _ = try await server.waitForQueue { $0.promptIDs("queue_running") == [running] }
            #expect(try await server.request(.post, "/interrupt").status == .ok)
            #expect(try await server.waitForHistory(running)["status"]?["status_str"] == "error")

            // Nothing is running now; an interrupt must not leak into the next prompt.
            #expect(try await server.post("/interrupt", json: [:]).status == .ok)
            let later = try await server.queue(Prompts.concatenate("un", "affected"))
            #expect(try await server.waitForHistory(later)["status"]?["status_str"] == "success")
        }
    }
}

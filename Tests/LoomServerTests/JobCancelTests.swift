import Foundation
import Loom
import Testing

@Suite("POST /jobs/{id}/cancel and /jobs/cancel")
struct JobCancelTests {
    @Test("a running job is interrupted, a pending one leaves the queue; finished and unknown ids are a no-op")
    func cancelOne() async throws {
        try await TestServer.run { server in
            let done = try await server.queue(Prompts.concatenate("a", "b"))
            _ = try await server.waitForHistory(done)
            let gate = "cancel-one-\(UUID())"
            let running = try await server.queue(Prompts.gated(gate))
            let pending = try await server.queue(Prompts.concatenate("never", "runs"))
            _ = try await server.waitForQueue { $0.promptIDs("queue_running") == [running] }

            let removed = try await server.post("/api/jobs/\(pending)/cancel", json: [:])
            #expect(try removed.status == .ok && removed.json == ["cancelled": true])
            #expect(try await server.get("/queue").json.promptIDs("queue_pending").isEmpty)
            #expect(try await server.get("/api/jobs/\(pending)").status == .notFound)

            #expect(try await server.request(.post, "/jobs/\(running)/cancel").json == ["cancelled": true])
            let entry = try await server.waitForHistory(running)
            #expect(entry["status"]?["messages"]?.arrayValue?.last?[0] == "execution_interrupted")
            #expect(try await server.json("/api/jobs/\(running)")["status"] == "cancelled")

            for id in [done, running, UUID().uuidString.lowercased()] {
                let again = try await server.request(.post, "/api/jobs/\(id)/cancel")
                #expect(try again.status == .ok && again.json == ["cancelled": false], "\(id)")
            }
            #expect(try await server.waitForHistory(done)["status"]?["status_str"] == "success")
        }
    }

    @Test("a batch cancels running and pending jobs together, or nothing when an id is unknown")
    func cancelBatch() async throws {
        try await TestServer.run { server in
            let gate = "cancel-batch-\(UUID())"
            let running = try await server.queue(Prompts.gated(gate))
            let first = try await server.queue(Prompts.concatenate("one", "two"))
            let second = try await server.queue(Prompts.concatenate("three", "four"))
            let kept = try await server.queue(Prompts.concatenate("still", "runs"))
            _ = try await server.waitForQueue { $0.promptIDs("queue_running") == [running] }

            let stranger = UUID().uuidString.lowercased()
            let refused = try await server.post("/api/jobs/cancel", json: ["job_ids": [.string(first), .string(stranger)]])
            #expect(refused.status == .notFound)
            #expect(try refused.json["job_ids"] == [.string(stranger)])
            #expect(try await server.get("/queue").json.promptIDs("queue_pending") == [first, second, kept])

            let reply = try await server.post("/jobs/cancel", json: ["job_ids": [.string(second), .string(running), .string(first), .string(second)]])
            #expect(reply.status == .ok)
            #expect(try reply.json == ["cancelled": [.string(second), .string(running), .string(first)]])
            #expect(try await server.waitForHistory(running)["status"]?["status_str"] == "error")
            #expect(try await server.waitForHistory(kept)["status"]?["status_str"] == "success")
            #expect(try await server.get("/history/\(first)").json == .object([:]))
            #expect(try await server.post("/jobs/cancel", json: ["job_ids": [.string(running)]]).json == ["cancelled": []])
            for bad: JSONValue in [[:], ["job_ids": []], ["job_ids": "x"], ["job_ids": [1]]] {
                #expect(try await server.post("/api/jobs/cancel", json: bad).status == .badRequest, "\(bad)")
            }
        }
    }
}

import Foundation
import Loom
@testable import LoomServer
import Testing

@Suite("Queue and history across restarts")
struct PersistenceTests {
    @Test("a stopped server's queued and running prompts run after a restart on the same folder; history is kept")
    func restartResumes() async throws {
        let directory = try TestServer.makeDirectory()
        let gate = "restart-\(UUID())"
        let ids = try await TestServer.run(directory: directory) { server in
            let done = try await server.queue(Prompts.concatenate("before", "restart"))
            _ = try await server.waitForHistory(done)
            let running = try await server.queue(Prompts.gated(gate), clientID: "restarted-client")
            _ = try await server.waitForQueue { $0.promptIDs("queue_running") == [running] }
            let pendingA = try await server.queue(Prompts.concatenate("pending", "a"))
            let pendingB = try await server.queue(Prompts.gated(gate))
            let front = try await server.post(
                "/prompt", json: Prompts.body(Prompts.gated(gate), extra: ["front": true]))
            let frontID = try #require(try front.json["prompt_id"]?.stringValue)
            return (done: done, running: running, pending: [frontID, pendingA, pendingB])
        }

        try await TestServer.run(directory: directory) { server in
            // Everything comes back in queue order: the `front` prompt, then the one that was running when the
            // server stopped (interrupted, not recorded as failed), then the rest.
            let queue = try await server.waitForQueue { !$0.promptIDs("queue_running").isEmpty }
            let restored = queue.promptIDs("queue_running") + queue.promptIDs("queue_pending")
            #expect(restored == [ids.pending[0], ids.running, ids.pending[1], ids.pending[2]])
            #expect(try await server.get("/history/\(ids.running)").json == .object([:]))
            let entry = try #require(try await server.get("/history/\(ids.done)").json[ids.done])
            #expect(entry["outputs"] == ["3": ["text": ["before, restart"]]])
            let running = try #require(queue["queue_pending"]?[0]?.arrayValue)
            #expect(running[3]["client_id"] == "restarted-client")

            Gates.open(gate)
            for id in [ids.running] + ids.pending {
                #expect(try await server.waitForHistory(id)["status"]?["status_str"] == "success")
            }
            // Numbers continue after the restored ones instead of starting again at 0.
            let next = try await server.post("/prompt", json: Prompts.body(Prompts.concatenate("new", "number")))
            #expect(try (next.json["number"]?.intValue ?? 0) >= 5)
            _ = try await server.waitForHistory(try #require(try next.json["prompt_id"]?.stringValue))
        }

        try await TestServer.run(directory: directory) { server in
            let history = try await server.get("/history").json.objectValue?.keys ?? []
            #expect(history.count == 6)
            #expect(history.first == ids.done)
            #expect(try await server.get("/queue").json.promptIDs("queue_pending") == [])
        }
        try? FileManager.default.removeItem(at: directory)
    }

    @Test("deleting and clearing persist too; an unreadable file is skipped, not fatal")
    func deletionsPersist() async throws {
        let directory = try TestServer.makeDirectory()
        let kept = try await TestServer.run(directory: directory) { server in
            let a = try await server.queue(Prompts.concatenate("a", "a"))
            let b = try await server.queue(Prompts.concatenate("b", "b"))
            _ = try await server.waitForHistory(a)
            _ = try await server.waitForHistory(b)
            _ = try await server.post("/history", json: ["delete": [.string(a)]])
            return b
        }
        let state = ServerDirectories(base: directory).queueState
        try Data("{ not json".utf8).write(to: state.appendingPathComponent("history/damaged.json"))
        try await TestServer.run(directory: directory) { server in
            #expect(try await server.get("/history").json.objectValue?.keys == [kept])
            _ = try await server.post("/history", json: ["clear": true])
        }
        try await TestServer.run(directory: directory) { server in
            let history = try await server.get("/history").json
            #expect(history == .object([:]))
        }
        try? FileManager.default.removeItem(at: directory)
    }

    @Test("a prompt running when the process dies runs once more, then is recorded failed with the reason")
    func poisonPromptIsRetriedOnceThenFailed() async throws {
        let directory = try TestServer.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = QueueStore(directory: directory.appendingPathComponent("queue-state"))
        // Each block is one process: it starts the prompt and dies without finishing it.
        for run in 1...2 {
            let queue = PromptQueue(store: store)
            if run == 1 {
                _ = await queue.enqueue(id: "poison", prompt: [:], extraData: [:], outputsToExecute: [])
                _ = await queue.enqueue(id: "innocent", prompt: [:], extraData: [:], outputsToExecute: [], number: 100)
            }
            #expect(await queue.pendingPrompts.map(\.id) == ["poison", "innocent"], "run \(run)")
            #expect(await queue.next()?.prompt.id == "poison")
        }
        let queue = PromptQueue(store: store)
        #expect(await queue.pendingPrompts.map(\.id) == ["innocent"])
        let entry = try #require(await queue.historyEntry("poison"))
        #expect(!entry.succeeded && !entry.completed)
        let error = try #require(entry.messages.last?.arrayValue)
        #expect(error.first == "execution_error")
        #expect(error.last?["exception_message"]?.stringValue?.contains("Loom stopped 2 times while running this prompt") == true)
        // The verdict is on disk: the next start neither runs the prompt nor records it twice.
        let next = PromptQueue(store: store)
        #expect(await next.pendingPrompts.map(\.id) == ["innocent"])
        #expect(await next.historyEntries.map(\.prompt.id) == ["poison"])
    }
}

import Foundation
import Loom
import LoomServer
import Testing

@Suite("GET/POST /queue and /history")
struct QueueHistoryTests {
    @Test(
        "queue items are [number, prompt_id, prompt, extra_data, outputs_to_execute]; delete and clear remove pending ones"
    )
    func queueListing() async throws {
        try await TestServer.run { server in
            let gate = "queue-\(UUID())"
            let running = try await server.queue(Prompts.gated(gate), clientID: "client-q")
            _ = try await server.waitForQueue { $0.promptIDs("queue_running") == [running] }
            let a = try await server.queue(Prompts.concatenate("a", "1"))
            let b = try await server.queue(Prompts.concatenate("b", "2"))
            let c = try await server.queue(Prompts.concatenate("c", "3"))

            let queue = try await server.get("/queue").json
            #expect(queue.objectValue?.keys.sorted() == ["queue_pending", "queue_running"])
            let item = try #require(queue["queue_running"]?[0]?.arrayValue)
            #expect(item.count == 5)
            #expect(item[0] == .int(0))
            #expect(item[1] == .string(running))
            #expect(item[2]["1"]?["class_type"] == "TestGate")
            #expect(item[3]["client_id"] == "client-q" && item[3]["create_time"]?.intValue != nil)
            #expect(item[3].objectValue?.count == 2)
            #expect(item[4] == ["1"])
            #expect(queue.promptIDs("queue_pending") == [a, b, c])

            #expect(try await server.post("/queue", json: ["delete": [.string(b)]]).status == .ok)
            #expect(try await server.get("/queue").json.promptIDs("queue_pending") == [a, c])
            #expect(try await server.post("/api/queue", json: ["clear": true]).status == .ok)
            let cleared = try await server.get("/queue").json
            #expect(cleared.promptIDs("queue_pending") == [])
            #expect(
                cleared.promptIDs("queue_running") == [running], "clearing the queue leaves the running prompt alone")

            Gates.open(gate)
            _ = try await server.waitForHistory(running)
            #expect(try await server.get("/history/\(a)").json == .object([:]))
        }
    }

    @Test("history pages by max_items and offset, refuses non-integers, and deletes or clears entries")
    func historyPaging() async throws {
        try await TestServer.run { server in
            var ids: [String] = []
            for index in 0..<5 {
                let id = try await server.queue(Prompts.concatenate("p\(index)", "x"))
                _ = try await server.waitForHistory(id)
                ids.append(id)
            }
            #expect(try await server.get("/history").json.objectValue?.keys == ids)
            #expect(try await server.get("/history?max_items=2").json.objectValue?.keys == Array(ids[3...]))
            #expect(try await server.get("/history?max_items=2&offset=1").json.objectValue?.keys == Array(ids[1...2]))
            #expect(try await server.get("/history?offset=3").json.objectValue?.keys == Array(ids[3...]))

            let bad = try await server.get("/history?max_items=two")
            #expect(bad.status == .badRequest)
            #expect(try bad.json["error"] == "max_items must be an integer, got 'two'")
            #expect(try await server.get("/history?offset=1.5").status == .badRequest)

            #expect(try await server.get("/history/\(UUID().uuidString.lowercased())").json == .object([:]))
            #expect(try await server.post("/history", json: ["delete": [.string(ids[0])]]).status == .ok)
            #expect(try await server.get("/history").json.objectValue?.keys == Array(ids[1...]))
            #expect(try await server.post("/api/history", json: ["clear": true]).status == .ok)
            #expect(try await server.get("/history").json == .object([:]))
        }
    }

    @Test("the history keeps at most maxHistory entries, on disk too")
    func historyLimit() async throws {
        try await TestServer.run(configure: { $0.maxHistory = 2 }) { server in
            var ids: [String] = []
            for index in 0..<3 {
                let id = try await server.queue(Prompts.concatenate("h\(index)", "x"))
                _ = try await server.waitForHistory(id)
                ids.append(id)
            }
            #expect(try await server.get("/history").json.objectValue?.keys == Array(ids[1...]))
            let files = try FileManager.default.contentsOfDirectory(
                atPath: server.server.configuration.directories.queueState.appendingPathComponent("history").path)
            #expect(files.sorted() == ids[1...].map { "\($0).json" }.sorted())
        }
    }
}

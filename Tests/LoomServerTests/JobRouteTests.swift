import Foundation
import Hummingbird
import Loom
import Testing

@Suite("GET /jobs, the frontend's queue panel")
struct JobRouteTests {
    @Test("running, pending and finished prompts are listed by status, newest first, and paged")
    func listing() async throws {
        let gate = "jobs-\(UUID().uuidString)"
        try await TestServer.run { (server: TestServer) async throws in
            let done = try await server.queue(Prompts.concatenate("a", "b"))
            _ = try await server.waitForHistory(done)
            let running = try await server.queue(Prompts.gated(gate))
            _ = try await server.waitForQueue { $0.promptIDs("queue_running") == [running] }
            let pending = try await server.queue(Prompts.concatenate("c", "d"))

            let all = try await server.json("/api/jobs")
            let jobs = all["jobs"]?.arrayValue ?? []
            #expect(jobs.compactMap { $0["id"]?.stringValue } == [pending, running, done])
            #expect(jobs.compactMap { $0["status"]?.stringValue } == ["pending", "in_progress", "completed"])
            #expect(all["pagination"] == ["offset": 0, "limit": 100, "total": 3, "has_more": false])
            let finished = jobs[2]
            #expect(finished["create_time"]?.intValue != nil && finished["execution_end_time"]?.intValue != nil)
            // Queued and running jobs carry their submission time too (the queue panel groups jobs by day).
            let now = Int(Date().timeIntervalSince1970 * 1000)
            for job in jobs {
                let created = job["create_time"]?.intValue ?? 0
                #expect(created > now - 600_000 && created <= now, "\(job)")
            }

            let active = try await server.json("/api/jobs?status=in_progress,pending&limit=1&offset=1")
            #expect(active["jobs"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [running])
            #expect(active["pagination"]?["has_more"] == false && active["pagination"]?["total"] == 2)
            #expect(try await server.get("/api/jobs?status=lost").status == .badRequest)
            #expect(try await server.get("/api/jobs?limit=0").status == .badRequest)

            let detail = try await server.json("/api/jobs/\(done)")
            #expect(detail["status"] == "completed" && detail["outputs"]?.objectValue != nil)
            #expect(detail["workflow"]?["prompt"] == Prompts.concatenate("a", "b"))
            #expect(try await server.json("/api/jobs/\(pending)")["status"] == "pending")
            #expect(try await server.get("/api/jobs/\(UUID().uuidString.lowercased())").status == .notFound)
            Gates.open(gate)
            _ = try await server.waitForHistory(pending)
        }
    }
}

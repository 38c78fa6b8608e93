import Foundation
import Loom
import Synchronization
import Testing

/// `loom serve` as users start it: ComfyUI's flag spellings, a port the system picks, SIGTERM to stop.
@Suite(.serialized) struct ServeCommandTests {
    /// A running `loom serve` process and the port it reported.
    final class ServeProcess: Sendable {
        let process: Process
        let port: Int

        init(arguments: [String]) async throws {
            let process = Process()
            process.executableURL = Self.executable
            process.arguments = ["serve", "--listen", "127.0.0.1", "--port", "0", "--no-disk-cache"] + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            self.process = process
            let printed = Mutex("")
            output.fileHandleForReading.readabilityHandler = { handle in
                let text = String(decoding: handle.availableData, as: UTF8.self)
                printed.withLock { $0 += text }
            }
            // Generous: a 2-core CI machine also runs the rest of the suite in parallel.
            let deadline = ContinuousClock.now + .seconds(120)
            var port: Int?
            while port == nil, ContinuousClock.now < deadline, process.isRunning {
                port = printed.withLock { Self.port(in: $0) }
                if port == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            output.fileHandleForReading.readabilityHandler = nil
            // This task may have slept past the deadline while other tests held the cooperative threads; the
            // address may have arrived meanwhile.
            port = port ?? printed.withLock { Self.port(in: $0) }
            guard let port else {
                let ended = process.isRunning ? "still running" : "exited with status \(process.terminationStatus)"
                process.terminate()
                throw TestServerError("loom serve did not report its address (\(ended)); printed: \(printed.withLock { $0 })")
            }
            self.port = port
        }

        /// Sends SIGTERM and waits, at most 30 seconds, for the process to end; returns its exit status.
        func stop() async throws -> Int32 {
            process.terminate()
            // Generous: a 2-core CI machine also runs the rest of the suite in parallel.
            let deadline = ContinuousClock.now + .seconds(120)
            while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            guard !process.isRunning else {
                kill(process.processIdentifier, SIGKILL)
                throw TestServerError("loom serve did not stop on SIGTERM")
            }
            return process.terminationStatus
        }

        private static func port(in text: String) -> Int? {
            guard let range = text.range(of: "http://127.0.0.1:") else { return nil }
            return Int(text[range.upperBound...].prefix { $0.isNumber })
        }

        static var executable: URL {
            var directory = Bundle.main.bundleURL
            while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("loom").path),
                directory.path != "/"
            {
                directory.deleteLastPathComponent()
            }
            return directory.appendingPathComponent("loom")
        }
    }

    @Test("loom serve accepts ComfyUI's flags, runs prompts, stops on SIGTERM and keeps its history for the next start")
    func serveAcrossProcesses() async throws {
        let base = try TestServer.makeDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let user = base.appendingPathComponent("elsewhere/user")
        let flags = [
            "--base-directory", base.path, "--user-directory", user.path, "--max-upload-size", "1", "--cache-none",
        ]

        let first = try await ServeProcess(arguments: flags)
        let client = LoopbackClient(port: first.port)
        let reply = try await client.post("/api/prompt", json: Prompts.body(Prompts.concatenate("from", "a process")))
        #expect(reply.status == .ok)
        let id = try #require(try reply.json["prompt_id"]?.stringValue)
        let entry = try await client.waitForHistory(id)
        #expect(entry["outputs"] == ["3": ["text": ["from, a process"]]])
        #expect(try await client.get("/features").json["max_upload_size"] == .int(1024 * 1024))
        #expect(try await first.stop() == 0)
        #expect(
            FileManager.default.fileExists(atPath: user.appendingPathComponent("loom/queue/history/\(id).json").path))
        #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("input").path))

        let second = try await ServeProcess(arguments: flags)
        let again = LoopbackClient(port: second.port)
        #expect(try await again.get("/history/\(id)").json[id]?["outputs"] == entry["outputs"])
        #expect(try await second.stop() == 0)
    }
}

import Foundation
import Hummingbird
import Loom
import LoomServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP connection to the test server, for requests no HTTP client would send. Used by one task at a time.
private final class RawConnection: @unchecked Sendable {
    let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestServerError("cannot connect to port \(port)") }
    }

    deinit { close(socket) }

    /// Sends what it can; false once the server has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } >= 0
    }

    /// Everything the server sends until it closes the connection or `timeout` passes; `closed` tells which.
    /// The wait runs on a thread of its own, so that it does not hold one of the few threads that the server's
    /// tasks need in order to answer.
    func readAll(timeout: Double) async -> (text: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.readBlocking(timeout: timeout)) }.start()
        }
    }

    private func readBlocking(timeout: Double) -> (text: String, closed: Bool) {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000)))
            guard ready > 0 else { continue }
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { return (String(decoding: bytes, as: UTF8.self), true) }
            bytes += buffer.prefix(count)
        }
        return (String(decoding: bytes, as: UTF8.self), false)
    }
}

@Suite("Malformed and hostile requests", .serialized)
struct HostileRequestTests {
    /// A short idle timeout, yet long enough that the test's own client is not cut off on a machine busy with
    /// parallel suites.
    static func limited(_ configuration: inout ServerConfiguration) {
        configuration.connectionLimits.idleTimeout = .seconds(3)
        configuration.connectionLimits.maxConnections = 8
    }

    @Test("malformed requests get a 400 and the connection closes")
    func malformedRequests() async throws {
        try await TestServer.run { server in
            let hugeHeaders = (0..<20_000).map { "X-Filler-\($0): 1\r\n" }.joined()
            for (request, status) in [
                ("GARBAGE\r\n\r\n", "400"),
                ("POST /prompt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n", "400"),
                ("GET /queue HTTP/1.1\r\nHost: 127.0.0.1\r\n\(hugeHeaders)\r\n", "431"),
                ("GET /queue HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: \(String(repeating: "a", count: 100_000))\r\n\r\n", "431"),
            ] {
                let connection = try RawConnection(port: server.port)
                connection.send(request)
                let (text, closed) = await connection.readAll(timeout: 15)
                #expect(text.hasPrefix("HTTP/1.1 \(status)"), "\(request.prefix(60)): \(text.prefix(80))")
                #expect(closed, "\(request.prefix(60))")
            }
            #expect(try await server.get("/queue").status == .ok)
        }
    }

    @Test("a chunk size past 64 bits or past the body limit is answered 400 at once, not left to the idle timeout")
    func absurdChunkSizes() async throws {
        try await TestServer.run(configure: { $0.connectionLimits.idleTimeout = .seconds(60) }) { server in
            let head = "POST /prompt HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            // 2^64−1, a size llhttp rejects as overflowing, one just past the 100 MB body limit, and one after a
            // good chunk and a keep-alive request before it.
            for body in [
                "FFFFFFFFFFFFFFFF\r\n", "1FFFFFFFFFFFFFFFF\r\n", "6400001\r\n",
                "2\r\n{}\r\nFFFFFFFFFFFFFFFF\r\n",
            ] {
                let connection = try RawConnection(port: server.port)
                let clock = ContinuousClock()
                let start = clock.now
                connection.send("GET /queue HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + head + body)
                let (text, closed) = await connection.readAll(timeout: 20)
                let answers = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
                #expect(answers == ["200", "400"], "\(body.prefix(30)): \(text.prefix(300))")
                #expect(closed, "\(body.prefix(30))")
                #expect(clock.now - start < .seconds(10), "\(body.prefix(30))")
            }
            // Sizes within the limit still work, split across reads.
            let good = try RawConnection(port: server.port)
            good.send(head + "2\r\n{}")
            try await Task.sleep(for: .milliseconds(100))
            good.send("\r\n0\r\n\r\n")
            #expect(await good.readAll(timeout: 10).text.hasPrefix("HTTP/1.1 400"), "an empty prompt object is refused by the route")
            #expect(try await server.get("/queue").status == .ok)
        }
    }

    @Test("slow and idle connections are closed; a full house of them does not keep others out")
    func slowAndIdleConnections() async throws {
        try await TestServer.run(configure: Self.limited) { server in
            let slow = try RawConnection(port: server.port)
            slow.send("GET /queue HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            let idle = try RawConnection(port: server.port)
            let clock = ContinuousClock()
            let start = clock.now
            #expect(await slow.readAll(timeout: 20).closed)
            #expect(await idle.readAll(timeout: 20).closed)
            #expect(clock.now - start < .seconds(16))

            let hoard = try (0..<8).map { _ in try RawConnection(port: server.port) }
            // The request goes out with the connection: a client that says nothing for the idle timeout after the
            // server takes it is rightly cut off, and an async client can be held up that long by parallel suites.
            let waiting = try RawConnection(port: server.port)
            waiting.send("GET /queue HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let reply = await waiting.readAll(timeout: 30)
            #expect(reply.text.hasPrefix("HTTP/1.1 200"), "\(reply.text.prefix(80))")
            #expect(clock.now - start < .seconds(40))
            _ = hoard
        }
    }

    @Test("Host must be this server; Origin must match Host")
    func hostAndOrigin() async throws {
        try await TestServer.run(configure: { $0.allowedHosts = ["loom.example"] }) { (server) async throws -> Void in
            func status(host: String) async throws -> String {
                let connection = try RawConnection(port: server.port)
                connection.send("GET /queue HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
                return String(await connection.readAll(timeout: 15).text.prefix(12))
            }
            #expect(try await status(host: "rebind.attacker.example") == "HTTP/1.1 403")
            #expect(try await status(host: "rebind.attacker.example:\(server.port)") == "HTTP/1.1 403")
            #expect(try await status(host: "localhost:\(server.port)") == "HTTP/1.1 200")
            #expect(try await status(host: "[::1]:\(server.port)") == "HTTP/1.1 200")
            #expect(try await status(host: "loom.example") == "HTTP/1.1 200")
            #expect(
                try await server.request(.get, "/queue", headers: [.origin: "http://attacker.example"]).status == .forbidden)
            #expect(
                try await server.request(.get, "/queue", headers: [.origin: "http://127.0.0.1:\(server.port)"]).status == .ok)
        }
    }

    @Test("with a token, every route but the web UI's files needs it")
    func tokens() async throws {
        let frontEnd = try TestServer.makeDirectory()
        defer { try? FileManager.default.removeItem(at: frontEnd) }
        try Data("<html>loom</html>".utf8).write(to: frontEnd.appendingPathComponent("index.html"))
        try await TestServer.run(configure: { $0.authToken = "s3cret"; $0.frontEndRoot = frontEnd }) { (server) async throws -> Void in
            #expect(try await server.get("/queue").status == .unauthorized)
            #expect(try await server.get("/api/object_info").status == .unauthorized)
            #expect(try await server.request(.get, "/queue", headers: [.authorization: "Bearer wrong"]).status == .unauthorized)
            #expect(try await server.request(.get, "/queue", headers: [.authorization: "Bearer s3cret"]).status == .ok)
            #expect(try await server.get("/queue?token=s3cret").status == .ok)
            #expect(try await server.request(.get, "/queue", headers: [.cookie: "other=1; loom_token=s3cret"]).status == .ok)
            let page = try await server.get("/?token=s3cret")
            #expect(page.status == .ok)
            #expect(page.headers[.setCookie]?.hasPrefix("loom_token=s3cret;") == true)
            #expect(try await server.get("/index.html").status == .ok, "static files need no token")
            let refused = WebSocketRecorder(url: "ws://127.0.0.1:\(server.port)/ws?clientId=a")
            await #expect(throws: (any Error).self) { _ = try await refused.waitFor(timeout: .seconds(3)) { $0.type == "status" } }
            await refused.close()
            let admitted = WebSocketRecorder(url: "ws://127.0.0.1:\(server.port)/ws?clientId=b&token=s3cret")
            _ = try await admitted.waitFor { $0.type == "status" }
            await admitted.close()
        }
    }
}

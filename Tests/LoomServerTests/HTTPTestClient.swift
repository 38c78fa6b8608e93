import Foundation
import Hummingbird
import HummingbirdTesting
import Loom
import NIOCore
import Testing

/// An HTTP answer: status, headers and body.
struct HTTPReply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer

    var json: JSONValue {
        get throws { try JSONValue(parsing: Array(buffer: body)) }
    }
}

/// Requests to a server on 127.0.0.1, each over a fresh connection so several can be in flight at once.
protocol HTTPTestClient: Sendable {
    var port: Int { get }
}

/// A client for a server this test did not start, such as a `loom serve` process.
struct LoopbackClient: HTTPTestClient {
    let port: Int
}

extension HTTPTestClient {
    func request(
        _ method: HTTPRequest.Method, _ path: String, body: ByteBuffer? = nil, headers: HTTPFields = [:]
    ) async throws -> HTTPReply {
        try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(30))) {
            client in
            let response = try await client.execute(
                TestClient.Request(path, method: method, authority: "127.0.0.1:\(port)", headers: headers, body: body))
            return HTTPReply(status: response.status, headers: response.headers, body: response.body ?? ByteBuffer())
        }
    }

    func get(_ path: String) async throws -> HTTPReply {
        try await request(.get, path)
    }

    func post(_ path: String, json: JSONValue) async throws -> HTTPReply {
        try await request(
            .post, path, body: ByteBuffer(string: json.jsonText(indent: nil)),
            headers: [.contentType: "application/json"])
    }

    func post(_ path: String, text: String) async throws -> HTTPReply {
        try await request(.post, path, body: ByteBuffer(string: text), headers: [.contentType: "application/json"])
    }

    /// Queues `prompt` and returns its id, failing the test if the server refuses it.
    func queue(_ prompt: JSONValue, clientID: String? = nil, extra: JSONObject = [:]) async throws -> String {
        let reply = try await post("/prompt", json: Prompts.body(prompt, clientID: clientID, extra: extra))
        try #require(reply.status == .ok, "POST /prompt answered \(reply.status): \(String(buffer: reply.body))")
        return try #require(try reply.json["prompt_id"]?.stringValue)
    }

    /// Polls `GET /history/{id}` until the prompt has finished, for at most `timeout`.
    func waitForHistory(_ id: String, timeout: Duration = .seconds(30)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let entry = try await get("/history/\(id)").json[id] { return entry }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestServerError("prompt \(id) did not finish within \(timeout)")
    }

    /// Polls `GET /queue` until `condition` holds, for at most `timeout`.
    func waitForQueue(timeout: Duration = .seconds(30), until condition: (JSONValue) -> Bool) async throws -> JSONValue
    {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let queue = try await get("/queue").json
            if condition(queue) { return queue }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestServerError("the queue did not reach the expected state within \(timeout)")
    }
}

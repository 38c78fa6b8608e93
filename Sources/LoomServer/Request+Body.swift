import Hummingbird
import Loom
import NIOCore

extension Request {
    /// The whole body, refusing more than `limit` bytes with 413.
    func bodyBytes(limit: Int) async throws(ServerError) -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw .contentTooLarge(limit: limit)
        } catch {
            throw .badRequest("could not read the request body: \(error)")
        }
    }

    /// The body parsed as JSON; malformed JSON is a 400 naming where it broke.
    func jsonBody(limit: Int) async throws(ServerError) -> JSONValue {
        try Self.parseJSON(try await bodyBytes(limit: limit))
    }

    /// The body as a JSON object, or an empty one when there is no body (ComfyUI's commands accept both).
    func jsonObjectBody(limit: Int) async throws(ServerError) -> JSONObject {
        let bytes = try await bodyBytes(limit: limit)
        guard bytes.readableBytes > 0 else { return [:] }
        let json = try Self.parseJSON(bytes)
        guard let object = json.objectValue else {
            throw .badRequest("the request body must be a JSON object, found \(json.pythonTypeName)")
        }
        return object
    }

    private static func parseJSON(_ bytes: ByteBuffer) throws(ServerError) -> JSONValue {
        do {
            return try JSONValue(parsing: Array(buffer: bytes))
        } catch {
            throw .badRequest("the request body is not valid JSON: \(error)")
        }
    }

    /// A query parameter, decoded.
    func query(_ name: String) -> String? {
        uri.queryParameters[Substring(name)].map(String.init)
    }
}

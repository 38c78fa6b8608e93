import Hummingbird
import Loom

extension Response {
    /// A JSON answer; key order is kept as built, as ComfyUI's clients see it.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText(indent: nil))))
    }

    /// An empty 200, as ComfyUI answers commands such as `POST /queue`.
    static var ok: Response { Response(status: .ok) }
}

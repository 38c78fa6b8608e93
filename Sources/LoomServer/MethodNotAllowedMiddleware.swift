import Hummingbird

/// ComfyUI's aiohttp server serves its web root for GET and HEAD at every path, so a request with another
/// method that no route takes (`DELETE /prompt`, `PUT /anything`) is answered 405, not 404. Only the
/// router's own "no route" is turned into 405; a handler's 404 (an unknown file or job) stays.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard request.method != .get, request.method != .head else { throw error }
            return Response(
                status: .methodNotAllowed, headers: [.allow: "GET,HEAD", .contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "405: Method Not Allowed")))
        }
    }
}

import Hummingbird

/// ComfyUI's `--enable-cors-header`: every answer allows `allowedOrigin`, and pre-flight `OPTIONS` requests
/// succeed without reaching a route.
struct CORSHeaderMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigin: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response = request.method == .options ? Response(status: .ok) : try await next(request, context)
        response.headers[.accessControlAllowOrigin] = allowedOrigin
        response.headers[.accessControlAllowMethods] = "POST, GET, DELETE, PUT, OPTIONS, PATCH"
        response.headers[.accessControlAllowHeaders] = "Content-Type, Authorization"
        response.headers[.accessControlAllowCredentials] = "true"
        return response
    }
}

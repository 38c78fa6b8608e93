import Foundation
import Hummingbird

/// Without CORS, a server on a loopback address refuses browser requests whose `Origin` differs from `Host`,
/// as ComfyUI does: a web page on another site must not be able to queue prompts on the user's machine.
/// As in ComfyUI, ports are compared only when both sides name one.
struct LoopbackOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let origin = request.headers[.origin], let authority = request.head.authority?.lowercased(),
            let host = URLComponents(string: "http://" + authority), let hostName = host.host, Self.isLoopback(hostName)
        else {
            return try await next(request, context)
        }
        guard let originURL = URLComponents(string: origin.lowercased()), let originHost = originURL.host else {
            throw ServerError.forbidden("the request's Origin header is not a URL")
        }
        let portsDiffer = originURL.port != nil && host.port != nil && originURL.port != host.port
        guard originHost == hostName, !portsDiffer else {
            throw ServerError.forbidden(
                "cross-origin request from \(origin) refused; start the server with --enable-cors-header to allow it")
        }
        return try await next(request, context)
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return bare == "localhost" || bare.hasPrefix("127.") || bare == "::1"
    }
}

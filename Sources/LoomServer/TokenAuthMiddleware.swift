import Foundation
import Hummingbird

/// With `--auth-token`, every request but those for the web UI's static files must carry the token: as
/// `Authorization: Bearer <token>`, as a `token` query parameter, or as the `loom_token` cookie that opening the
/// UI with `?token=<token>` sets, so ComfyUI's frontend, which knows nothing of tokens, works unchanged.
struct TokenAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    static var cookieName: String { "loom_token" }

    let token: [UInt8]
    /// Whether a path names one of the web UI's files, served without the token.
    let isStaticFile: @Sendable (String) -> Bool

    init(token: String, isStaticFile: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.token = Array(token.utf8)
        self.isStaticFile = isStaticFile
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let presented = presentedToken(request)
        if (request.method == .get || request.method == .head), isStaticFile(request.uri.path) {
            var response = try await next(request, context)
            // Opening the UI with ?token= hands the browser the cookie its API calls then carry.
            if let query = request.query("token"), matches(query) {
                response.headers[.setCookie] = "\(Self.cookieName)=\(query); Path=/; HttpOnly; SameSite=Strict"
            }
            return response
        }
        guard let presented, matches(presented) else {
            throw ServerError(
                status: .unauthorized,
                body: ["error": .string(presented == nil
                    ? "this server needs its token: send 'Authorization: Bearer <token>', or ?token=<token>"
                    : "the token is not this server's")])
        }
        return try await next(request, context)
    }

    private func presentedToken(_ request: Request) -> String? {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            return String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        }
        if let query = request.query("token") { return query }
        for cookie in request.headers[values: .cookie].flatMap({ $0.split(separator: ";") }) {
            let pair = cookie.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == Self.cookieName { return String(pair[1]) }
        }
        return nil
    }

    /// Compares in time independent of where the first difference lies.
    private func matches(_ candidate: String) -> Bool {
        let bytes = Array(candidate.utf8)
        guard bytes.count == token.count else { return false }
        return zip(bytes, token).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

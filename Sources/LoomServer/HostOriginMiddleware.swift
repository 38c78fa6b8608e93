import Foundation
import Hummingbird

/// Refuses requests whose `Host` is not this server and browser requests from another origin.
///
/// A DNS-rebinding page names its own host in `Host` while its requests reach this server, so `Host` must be a
/// loopback name, the address the server listens on (any IP address when it listens on all of them), or a name
/// allowed with `--allowed-host`. Without `--enable-cors-header`, a request's `Origin` must name the same host as
/// `Host`, or an allowed one: a web page elsewhere cannot queue prompts on the user's machine, as in ComfyUI.
/// As in ComfyUI, ports are compared only when both sides name one. Requests without `Host` come from no browser.
struct HostOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let listenHost: String
    let allowedHosts: Set<String>
    let checksOrigin: Bool

    init(listenHost: String, allowedHosts: [String], checksOrigin: Bool) {
        self.listenHost = Self.bare(listenHost.lowercased())
        self.allowedHosts = Set(allowedHosts.map { Self.bare($0.lowercased()) })
        self.checksOrigin = checksOrigin
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let authority = request.head.authority?.lowercased() else { return try await next(request, context) }
        guard let host = URLComponents(string: "http://" + authority), let hostName = host.host.map(Self.bare) else {
            throw ServerError.badRequest("the Host header '\(authority.prefix(100))' is not a host name")
        }
        guard accepts(hostName) else {
            throw ServerError.forbidden(
                "Host '\(hostName.prefix(100))' is not this server; a page on another site may be trying to reach it (DNS rebinding). Start the server with --allowed-host \(hostName.prefix(100)) if that is its name")
        }
        guard checksOrigin, let origin = request.headers[.origin] else { return try await next(request, context) }
        guard let originURL = URLComponents(string: origin.lowercased()), let originHost = originURL.host.map(Self.bare) else {
            throw ServerError.forbidden("the request's Origin header is not a URL")
        }
        let portsDiffer = originURL.port != nil && host.port != nil && originURL.port != host.port
        guard (originHost == hostName && !portsDiffer) || allowedHosts.contains(originHost) else {
            throw ServerError.forbidden(
                "cross-origin request from \(origin.prefix(100)) refused; start the server with --enable-cors-header to allow it")
        }
        return try await next(request, context)
    }

    private func accepts(_ hostName: String) -> Bool {
        if ServerConfiguration.isLoopback(hostName) || allowedHosts.contains(hostName) || hostName == listenHost { return true }
        // Listening on every interface, any of the machine's addresses may be named; an address is never rebound.
        return Self.isAnyAddress(listenHost) && Self.isIPAddress(hostName)
    }

    static func isAnyAddress(_ host: String) -> Bool { ["0.0.0.0", "::", ""].contains(bare(host)) }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// An IPv6 address without its brackets.
    static func bare(_ host: String) -> String { host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) }
}

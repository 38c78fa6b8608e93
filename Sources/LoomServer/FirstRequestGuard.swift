import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Watches a connection until its first request head has arrived; from there Hummingbird's own handling takes
/// over (its idle timeout, its answers to later malformed requests). Before that point nothing else watches the
/// connection: a client that sends nothing, sends a head a byte at a time, or sends a malformed head would hold
/// it open for ever. So a head that does not arrive within `timeout` closes the connection, and a malformed one
/// is answered 400 (431 when its header lines pass the limits) and closed.
///
/// It sits right after the request decoder, so the errors the decoder raises reach it first and its answer goes
/// out through the response encoder.
final class FirstRequestGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { context.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let isHead = if case .head = unwrapInboundIn(data) { true } else { false }
        context.fireChannelRead(data)
        if isHead { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        deadline?.cancel()
        let status: HTTPResponseStatus = parseError == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
        let headers = HTTPHeaders([("Connection", "close"), ("Content-Length", "0")])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// A server channel with a `FirstRequestGuard` and a `ChunkSizeGuard` on every connection.
struct GuardedServerChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    let headTimeout: TimeAmount
    /// The largest chunk a chunked body may announce: the largest body any route reads.
    let maxChunkSize: Int
    /// Past the decoder's limits on a request head's size.
    let maxHeadSize: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(
                FirstRequestGuard(timeout: headTimeout), position: .after(decoder))
            try channel.pipeline.syncOperations.addHandler(
                ChunkSizeGuard(maxChunkSize: maxChunkSize, maxHeadSize: maxHeadSize), position: .before(decoder))
            return value
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

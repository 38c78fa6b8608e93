import Foundation
import NIOCore
import NIOHTTP1

/// Follows the framing of the requests on a connection ahead of the HTTP decoder, to refuse a chunked body whose
/// chunk size is past the body limit as soon as the size is read. The decoder accepts any size up to 2^64−1 and
/// then waits for that much data, so such a request would otherwise hold the connection until the idle timeout.
///
/// The refusal is the decoder's own: an `invalidChunkSize` parse error after the bytes before the size line, so
/// requests ahead of it are answered first and the body's reader gets a 400. Bytes pass through unchanged, and
/// the guard stops watching (removes itself) at whatever it does not follow — an upgrade to WebSocket, CONNECT, a
/// head past the header limits or a malformed one — leaving those to the decoder's checks.
final class ChunkSizeGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum State {
        /// Reading a request head; `head` holds it so far.
        case head
        /// Skipping `remaining` bytes of a Content-Length body.
        case body(remaining: UInt64)
        /// Reading a chunk-size line: its value so far, and whether the digits have ended (an extension or the line end).
        case chunkSize(value: UInt64, digits: Int, ended: Bool)
        /// Skipping a chunk's data and the line end after it.
        case chunkData(remaining: UInt64)
        /// Reading trailer lines after the last chunk; `length` counts the current line's bytes.
        case trailers(length: Int)
        /// The size was refused; what follows is dropped.
        case refused
    }

    private let maxChunkSize: UInt64
    private let maxHeadSize: Int
    private var state = State.head
    private var head: [UInt8] = []

    /// `maxHeadSize` should be past the decoder's header limits, so a head the guard gives up on is one the decoder
    /// refuses.
    init(maxChunkSize: Int, maxHeadSize: Int) {
        self.maxChunkSize = UInt64(max(0, maxChunkSize))
        self.maxHeadSize = maxHeadSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .refused = state { return }
        let buffer = unwrapInboundIn(data)
        switch scan(buffer.readableBytesView) {
        case .following:
            context.fireChannelRead(data)
        case .stopFollowing:
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .refuse(let accepted):
            if accepted > 0 { context.fireChannelRead(wrapInboundOut(buffer.getSlice(at: buffer.readerIndex, length: accepted)!)) }
            context.fireErrorCaught(HTTPParserError.invalidChunkSize)
        }
    }

    private enum Verdict {
        case following
        case stopFollowing
        /// The first `accepted` bytes are good; the size line that follows is not.
        case refuse(accepted: Int)
    }

    private func scan(_ bytes: ByteBufferView) -> Verdict {
        var index = bytes.startIndex
        // Where the line being read started in this buffer: a refused size line is withheld from its start.
        var lineStart = index
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch state {
            case .head:
                if head.isEmpty && (byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")) { break }
                head.append(byte)
                guard head.count <= maxHeadSize else { return .stopFollowing }
                if head.count >= 4 && head.suffix(4).elementsEqual([13, 10, 13, 10]) {
                    guard let next = Self.bodyState(afterHead: head) else { return .stopFollowing }
                    head.removeAll(keepingCapacity: true)
                    state = next
                    lineStart = index + 1
                }
            case .body(let remaining):
                let skipped = min(remaining, UInt64(bytes.endIndex - index))
                index += Int(skipped)
                state = skipped == remaining ? .head : .body(remaining: remaining - skipped)
                continue
            case .chunkSize(let value, let digits, let ended):
                if byte == UInt8(ascii: "\n") {
                    guard digits > 0 else { return .stopFollowing }
                    state = value == 0 ? .trailers(length: 0) : .chunkData(remaining: value + 2)
                    lineStart = index + 1
                } else if !ended, let digit = Self.hexValue(byte) {
                    // Checked per digit, so a size past the limit is refused before its line ends.
                    let (shifted, overflow) = value.multipliedReportingOverflow(by: 16)
                    guard !overflow, shifted + UInt64(digit) <= maxChunkSize else {
                        state = .refused
                        return .refuse(accepted: lineStart - bytes.startIndex)
                    }
                    state = .chunkSize(value: shifted + UInt64(digit), digits: digits + 1, ended: false)
                } else {
                    state = .chunkSize(value: value, digits: digits, ended: true)
                }
            case .chunkData(let remaining):
                let skipped = min(remaining, UInt64(bytes.endIndex - index))
                index += Int(skipped)
                if skipped == remaining {
                    state = .chunkSize(value: 0, digits: 0, ended: false)
                    lineStart = index
                } else {
                    state = .chunkData(remaining: remaining - skipped)
                }
                continue
            case .trailers(let length):
                if byte == UInt8(ascii: "\n") {
                    state = length == 0 ? .head : .trailers(length: 0)
                } else if byte != UInt8(ascii: "\r") {
                    guard length < maxHeadSize else { return .stopFollowing }
                    state = .trailers(length: length + 1)
                }
            case .refused:
                return .refuse(accepted: 0)
            }
            index += 1
        }
        return .following
    }

    /// What follows a complete request head, or nil for one the guard does not follow.
    private static func bodyState(afterHead head: [UInt8]) -> State? {
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n")
        guard let requestLine = lines.first, !requestLine.uppercased().hasPrefix("CONNECT ") else { return nil }
        var chunked = false
        var length: UInt64?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            // The protocol may change after this request.
            case "upgrade": return nil
            case "transfer-encoding": chunked = chunked || value.lowercased().contains("chunked")
            case "content-length":
                guard length == nil, let parsed = UInt64(value) else { return nil }
                length = parsed
            default: break
            }
        }
        if chunked { return length == nil ? .chunkSize(value: 0, digits: 0, ended: false) : nil }
        guard let length, length > 0 else { return .head }
        return .body(remaining: length)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

import CZlib

/// Decompression of the gzip files (RFC 1952) Loom bundles, through the system's zlib.
public enum Gzip {
    /// Decompresses one gzip member, checking its CRC-32 and length. Output beyond `limit` bytes is an error rather
    /// than an allocation the data asks for.
    public static func decompress(_ data: [UInt8], limit: Int = 1 << 28) throws(GzipError) -> [UInt8] {
        guard data.count >= 18, data[0] == 0x1F, data[1] == 0x8B else { throw .notGzip }
        guard data[2] == 8 else { throw .unsupportedMethod(data[2]) }
        // The trailer's length field (the size modulo 2³²) sizes the output; a file that lies about it still decodes.
        let stated = data.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
        var output = [UInt8](repeating: 0, count: max(1, min(stated, limit)))
        var stream = z_stream()
        // 16 + 15: a gzip wrapper and the largest window.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var status = Z_OK
        while true {
            status = data.withUnsafeBufferPointer { inputBytes in
                output.withUnsafeMutableBufferPointer { outputBytes in
                    let consumed = Int(stream.total_in), produced = Int(stream.total_out)
                    // zlib only reads its input; its header declares the pointer mutable.
                    stream.next_in = UnsafeMutablePointer(mutating: inputBytes.baseAddress! + consumed)
                    stream.avail_in = UInt32(clamping: inputBytes.count - consumed)
                    stream.next_out = outputBytes.baseAddress! + produced
                    stream.avail_out = UInt32(clamping: outputBytes.count - produced)
                    return inflate(&stream, Z_NO_FLUSH)
                }
            }
            // Z_OK with the output full: the stated length was short; grow within the limit and go on.
            guard status == Z_OK, Int(stream.total_out) == output.count else { break }
            guard output.count < limit else { throw .tooLarge(limit: limit) }
            output += repeatElement(0, count: min(output.count, limit - output.count))
        }
        switch status {
        case Z_STREAM_END:
            output.removeSubrange(Int(stream.total_out)...)
            return output
        case Z_OK, Z_BUF_ERROR:
            throw .truncated
        default:
            throw .corrupt(stream.msg.map { String(cString: $0) } ?? "zlib error \(status)")
        }
    }
}

public enum GzipError: Error, Equatable, CustomStringConvertible {
    case notGzip
    case unsupportedMethod(UInt8)
    case truncated
    /// zlib's reason: a bad block, Huffman code, distance, checksum or length.
    case corrupt(String)
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .notGzip: "not gzip data (bad magic bytes)"
        case .unsupportedMethod(let method): "gzip compression method \(method) is not DEFLATE"
        case .truncated: "compressed data ends early"
        case .corrupt(let reason): "corrupt gzip data: \(reason)"
        case .tooLarge(let limit): "gzip data decompresses to more than \(limit) bytes"
        }
    }
}

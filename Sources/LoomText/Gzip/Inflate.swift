/// A DEFLATE (RFC 1951) decoder and the gzip (RFC 1952) wrapper around it.
///
/// Loom decodes its one compressed resource, the CLIP merges list, itself instead of linking
/// zlib: SwiftPM has no zlib module on every platform, a system-library target would make
/// every user install headers, and a decoder of a few hundred lines is easy to test exhaustively
/// against Python's `zlib`.
public enum Gzip {
    /// Decompresses a gzip member (the `.gz` file format), checking its CRC-32 and length.
    public static func decompress(_ data: [UInt8]) throws(GzipError) -> [UInt8] {
        guard data.count >= 18, data[0] == 0x1F, data[1] == 0x8B else { throw .notGzip }
        guard data[2] == 8 else { throw .unsupportedMethod(data[2]) }
        let flags = data[3]
        var offset = 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard offset + 2 <= data.count else { throw .truncated }
            offset += 2 + (Int(data[offset]) | Int(data[offset + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            while offset < data.count, data[offset] != 0 { offset += 1 }
            offset += 1
        }
        if flags & 0x02 != 0 { offset += 2 }  // FHCRC
        guard offset <= data.count - 8 else { throw .truncated }
        var reader = BitReader(data, start: offset)
        let output = try Inflate.decompress(&reader)
        let trailer = reader.alignedByteOffset
        guard trailer + 8 <= data.count else { throw .truncated }
        func word(_ at: Int) -> UInt32 {
            UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
        }
        guard word(trailer) == CRC32.checksum(output) else { throw .checksumMismatch }
        guard word(trailer + 4) == UInt32(truncatingIfNeeded: output.count) else { throw .lengthMismatch }
        return output
    }
}

public enum GzipError: Error, Equatable, CustomStringConvertible {
    case notGzip
    case unsupportedMethod(UInt8)
    case truncated
    case invalidBlockType
    case storedLengthMismatch
    case invalidHuffmanCode
    case distanceTooFar
    case checksumMismatch
    case lengthMismatch

    public var description: String {
        switch self {
        case .notGzip: "not gzip data (bad magic bytes)"
        case .unsupportedMethod(let method): "gzip compression method \(method) is not DEFLATE"
        case .truncated: "compressed data ends early"
        case .invalidBlockType: "DEFLATE block type 3 is reserved"
        case .storedLengthMismatch: "stored DEFLATE block length and its complement disagree"
        case .invalidHuffmanCode: "invalid Huffman code in DEFLATE data"
        case .distanceTooFar: "DEFLATE back-reference points before the start of the output"
        case .checksumMismatch: "gzip CRC-32 does not match the decompressed data"
        case .lengthMismatch: "gzip length field does not match the decompressed data"
        }
    }
}

/// Least-significant-bit-first reader, as DEFLATE packs its bits.
struct BitReader {
    private let bytes: [UInt8]
    private var position: Int
    private var buffer: UInt64 = 0
    private var count = 0

    init(_ bytes: [UInt8], start: Int = 0) {
        self.bytes = bytes
        self.position = start
    }

    /// The offset of the first byte not yet consumed, after dropping bits up to a byte boundary.
    var alignedByteOffset: Int { position - count / 8 }

    mutating func bits(_ n: Int) throws(GzipError) -> Int {
        if n == 0 { return 0 }
        while count < n {
            guard position < bytes.count else { throw .truncated }
            buffer |= UInt64(bytes[position]) << UInt64(count)
            position += 1
            count += 8
        }
        let value = Int(buffer & ((1 << UInt64(n)) - 1))
        buffer >>= UInt64(n)
        count -= n
        return value
    }

    mutating func alignToByte() {
        let drop = count % 8
        buffer >>= UInt64(drop)
        count -= drop
    }
}

/// Canonical Huffman decoding table: symbols ordered by (length, symbol), and per length counts.
struct HuffmanTable {
    private var counts = [Int](repeating: 0, count: 16)
    private var symbols: [Int]

    init(lengths: [Int]) {
        for length in lengths { counts[length] += 1 }
        counts[0] = 0
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<16 { offsets[length] = offsets[length - 1] + counts[length - 1] }
        symbols = [Int](repeating: 0, count: lengths.count)
        for (symbol, length) in lengths.enumerated() where length != 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
        }
    }

    func decode(_ reader: inout BitReader) throws(GzipError) -> Int {
        var code = 0, first = 0, index = 0
        for length in 1..<16 {
            code |= try reader.bits(1)
            let count = counts[length]
            if code - first < count { return symbols[index + code - first] }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        throw .invalidHuffmanCode
    }
}

enum Inflate {
    private static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    /// The order in which code-length code lengths are transmitted (RFC 1951 §3.2.7).
    private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    private static let fixedLiterals = HuffmanTable(
        lengths: [Int](repeating: 8, count: 144) + [Int](repeating: 9, count: 112)
            + [Int](repeating: 7, count: 24) + [Int](repeating: 8, count: 8))
    private static let fixedDistances = HuffmanTable(lengths: [Int](repeating: 5, count: 30))

    /// Decodes raw DEFLATE blocks until the final one, leaving `reader` just after it.
    static func decompress(_ reader: inout BitReader) throws(GzipError) -> [UInt8] {
        var output: [UInt8] = []
        var isFinal = false
        while !isFinal {
            isFinal = try reader.bits(1) == 1
            switch try reader.bits(2) {
            case 0: try copyStored(&reader, into: &output)
            case 1: try inflate(&reader, literals: fixedLiterals, distances: fixedDistances, into: &output)
            case 2:
                let (literals, distances) = try dynamicTables(&reader)
                try inflate(&reader, literals: literals, distances: distances, into: &output)
            default: throw .invalidBlockType
            }
        }
        reader.alignToByte()
        return output
    }

    private static func copyStored(_ reader: inout BitReader, into output: inout [UInt8]) throws(GzipError) {
        reader.alignToByte()
        let length = try reader.bits(16)
        guard try reader.bits(16) == length ^ 0xFFFF else { throw .storedLengthMismatch }
        for _ in 0..<length { output.append(UInt8(try reader.bits(8))) }
    }

    private static func dynamicTables(_ reader: inout BitReader) throws(GzipError) -> (HuffmanTable, HuffmanTable) {
        let literalCount = try reader.bits(5) + 257
        let distanceCount = try reader.bits(5) + 1
        let codeLengthCount = try reader.bits(4) + 4
        var codeLengthLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengthLengths[codeLengthOrder[i]] = try reader.bits(3) }
        let codeLengths = HuffmanTable(lengths: codeLengthLengths)

        var lengths: [Int] = []
        while lengths.count < literalCount + distanceCount {
            let symbol = try codeLengths.decode(&reader)
            switch symbol {
            case 0..<16: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw .invalidHuffmanCode }
                lengths += repeatElement(previous, count: 3 + (try reader.bits(2)))
            case 17: lengths += repeatElement(0, count: 3 + (try reader.bits(3)))
            default: lengths += repeatElement(0, count: 11 + (try reader.bits(7)))
            }
        }
        guard lengths.count == literalCount + distanceCount, lengths[256] != 0 else { throw .invalidHuffmanCode }
        return (HuffmanTable(lengths: Array(lengths[..<literalCount])), HuffmanTable(lengths: Array(lengths[literalCount...])))
    }

    private static func inflate(
        _ reader: inout BitReader, literals: HuffmanTable, distances: HuffmanTable, into output: inout [UInt8]
    ) throws(GzipError) {
        while true {
            let symbol = try literals.decode(&reader)
            if symbol < 256 {
                output.append(UInt8(symbol))
                continue
            }
            if symbol == 256 { return }
            let lengthIndex = symbol - 257
            guard lengthIndex < lengthBase.count else { throw .invalidHuffmanCode }
            let length = lengthBase[lengthIndex] + (try reader.bits(lengthExtra[lengthIndex]))
            let distanceIndex = try distances.decode(&reader)
            guard distanceIndex < distanceBase.count else { throw .invalidHuffmanCode }
            let distance = distanceBase[distanceIndex] + (try reader.bits(distanceExtra[distanceIndex]))
            guard distance <= output.count else { throw .distanceTooFar }
            // Byte by byte: a match may overlap the bytes it is producing.
            let start = output.count - distance
            for i in 0..<length { output.append(output[start + i]) }
        }
    }
}

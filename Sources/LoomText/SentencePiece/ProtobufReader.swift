/// A minimal reader of the protocol buffer wire format: enough to walk SentencePiece's
/// `ModelProto` without generated code.
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    /// The next field number and its value, or nil at the end of the message.
    mutating func next() throws(SentencePieceModelError) -> (field: Int, value: Value)? {
        guard position < bytes.endIndex else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1: return (field, .fixed64(try littleEndian(byteCount: 8)))
        case 2:
            let length = Int(try varint())
            guard length >= 0, length <= bytes.endIndex - position else { throw .truncated }
            defer { position += length }
            return (field, .bytes(bytes[position..<(position + length)]))
        case 5: return (field, .fixed32(UInt32(try littleEndian(byteCount: 4))))
        default: throw .unsupportedWireType(Int(key & 7))
        }
    }

    private mutating func varint() throws(SentencePieceModelError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex, shift < 64 else { throw .truncated }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    private mutating func littleEndian(byteCount: Int) throws(SentencePieceModelError) -> UInt64 {
        guard byteCount <= bytes.endIndex - position else { throw .truncated }
        var value: UInt64 = 0
        for index in 0..<byteCount { value |= UInt64(bytes[position + index]) << UInt64(8 * index) }
        position += byteCount
        return value
    }
}

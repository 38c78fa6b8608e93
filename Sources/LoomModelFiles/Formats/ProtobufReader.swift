/// Protocol Buffers' wire format, read field by field from a mapped region without copying: varints, fixed
/// 32/64-bit values and length-delimited fields (returned as byte ranges of the file). Every length is checked
/// against the bytes left, so a truncated or hostile message throws instead of reading past its end.
struct ProtobufReader {
    enum WireType: Int {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    let file: UnsafeRawBufferPointer
    let path: String
    /// What is being read, for messages: "ONNX graph".
    let context: String
    /// The message's bytes: absolute offsets in `file`.
    var offset: Int
    let end: Int

    init(_ file: UnsafeRawBufferPointer, path: String, context: String, range: Range<Int>) {
        self.file = file
        self.path = path
        self.context = context
        offset = range.lowerBound
        end = range.upperBound
    }

    var isAtEnd: Bool { offset >= end }

    func corrupt(_ message: String) -> ModelFileError {
        ModelFileError(.corrupt, path: path, "\(context): \(message) (byte \(offset))")
    }

    func truncated(_ what: String) -> ModelFileError {
        ModelFileError(.truncated, path: path, "\(context) ends inside \(what) at byte \(offset)")
    }

    /// The next field's number and wire type; groups (wire types 3 and 4, unused by ONNX) are refused.
    mutating func field() throws(ModelFileError) -> (number: Int, wireType: WireType) {
        let key = try varint("a field key")
        guard let wireType = WireType(rawValue: Int(key & 7)) else {
            throw corrupt("field \(key >> 3) has wire type \(key & 7), which ONNX does not use")
        }
        guard key >> 3 > 0, key >> 3 < 1 << 29 else { throw corrupt("field number \(key >> 3) is out of range") }
        return (Int(key >> 3), wireType)
    }

    mutating func varint(_ what: @autoclosure () -> String = "a varint") throws(ModelFileError) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<10 {
            guard offset < end else { throw truncated(what()) }
            let byte = file[offset]
            offset += 1
            if index == 9 && byte > 1 { throw corrupt("\(what()) is longer than 64 bits") }
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte & 0x80 == 0 { return value }
        }
        throw corrupt("\(what()) is longer than 10 bytes")
    }

    /// A varint read as a signed 64-bit integer (two's complement, as int64 fields are encoded).
    mutating func int64(_ what: @autoclosure () -> String) throws(ModelFileError) -> Int64 {
        Int64(bitPattern: try varint(what()))
    }

    mutating func fixed32(_ what: @autoclosure () -> String) throws(ModelFileError) -> UInt32 {
        guard end - offset >= 4 else { throw truncated(what()) }
        let value = file.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        offset += 4
        return UInt32(littleEndian: value)
    }

    /// A length-delimited field's bytes, as an absolute range of the file.
    mutating func bytes(_ what: @autoclosure () -> String) throws(ModelFileError) -> Range<Int> {
        let length = try varint("the length of \(what())")
        guard length <= UInt64(end - offset) else { throw truncated(what()) }
        let range = offset..<(offset + Int(length))
        offset = range.upperBound
        return range
    }

    mutating func string(_ what: @autoclosure () -> String, limit: Int = 1 << 16) throws(ModelFileError) -> String {
        let range = try bytes(what())
        guard range.count <= limit else { throw corrupt("\(what()) is \(range.count) bytes long (at most \(limit))") }
        return String(decoding: UnsafeRawBufferPointer(rebasing: file[range]), as: UTF8.self)
    }

    /// Passes over a field this reader does not need.
    mutating func skip(_ wireType: WireType) throws(ModelFileError) {
        switch wireType {
        case .varint: _ = try varint()
        case .fixed64:
            guard end - offset >= 8 else { throw truncated("a 64-bit field") }
            offset += 8
        case .fixed32: _ = try fixed32("a 32-bit field")
        case .lengthDelimited: _ = try bytes("a field")
        }
    }

    /// A nested message's reader.
    func message(_ range: Range<Int>, context: String) -> ProtobufReader {
        ProtobufReader(file, path: path, context: context, range: range)
    }

    /// A repeated varint field's values, packed (one length-delimited run) or not (one value), appended to
    /// `values`, which may hold at most `limit` of them.
    mutating func appendInt64s(_ wireType: WireType, to values: inout [Int], limit: Int, _ what: String) throws(ModelFileError) {
        func append(_ value: Int64) throws(ModelFileError) {
            guard values.count < limit else { throw corrupt("\(what) holds more than \(limit) values") }
            values.append(Int(value))
        }
        switch wireType {
        case .varint: try append(try int64(what))
        case .lengthDelimited:
            var packed = message(try bytes(what), context: context)
            while !packed.isAtEnd { try append(try packed.int64(what)) }
        default: throw corrupt("\(what) has wire type \(wireType.rawValue), not a varint")
        }
    }
}

/// Reads little-endian values from a mapped region, throwing instead of reading past its end.
/// Every format reader goes through it, so a truncated or hostile file cannot make a reader fault.
struct ByteCursor {
    let buffer: UnsafeRawBufferPointer
    let path: String
    /// What is being read, for messages: "GGUF header", "pickle".
    let context: String
    var offset: Int

    init(_ buffer: UnsafeRawBufferPointer, path: String, context: String, offset: Int = 0) {
        self.buffer = buffer
        self.path = path
        self.context = context
        self.offset = offset
    }

    var remaining: Int { buffer.count - offset }

    func truncated(_ what: String) -> ModelFileError {
        ModelFileError(.truncated, path: path, "\(context) ends inside \(what) at byte \(offset)")
    }

    func corrupt(_ message: String) -> ModelFileError {
        ModelFileError(.corrupt, path: path, "\(context): \(message)")
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ what: @autoclosure () -> String = "a number") throws(ModelFileError) -> T {
        let width = MemoryLayout<T>.size
        guard remaining >= width else { throw truncated(what()) }
        let value = buffer.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += width
        return T(littleEndian: value)
    }

    mutating func readBytes(_ count: Int, _ what: @autoclosure () -> String) throws(ModelFileError) -> UnsafeRawBufferPointer {
        guard count >= 0, remaining >= count else { throw truncated(what()) }
        let slice = UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
        offset += count
        return slice
    }

    mutating func readString(byteCount: Int, _ what: @autoclosure () -> String) throws(ModelFileError) -> String {
        let bytes = try readBytes(byteCount, what())
        return String(decoding: bytes, as: UTF8.self)
    }
}

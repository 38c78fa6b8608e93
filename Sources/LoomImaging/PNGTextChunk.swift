/// A PNG text chunk: tEXt and zTXt hold Latin-1, iTXt UTF-8. ComfyUI stores `prompt` and `workflow` JSON here.
public struct PNGTextChunk: Sendable, Equatable {
    public var key: String
    public var text: String

    public init(key: String, text: String) {
        self.key = key
        self.text = text
    }

    var latin1Key: [UInt8]? { Self.latin1Bytes(key) }
    var latin1Text: [UInt8]? { Self.latin1Bytes(text) }

    /// Latin-1 bytes without NUL, or nil when `string` has characters beyond Latin-1.
    static func latin1Bytes(_ string: String) -> [UInt8]? {
        var bytes = [UInt8]()
        for scalar in string.unicodeScalars {
            guard scalar.value > 0 && scalar.value < 256 else { return nil }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }

    static func latin1<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    static func latin1(_ bytes: UnsafeBufferPointer<CChar>) -> String {
        latin1(bytes.map { UInt8(bitPattern: $0) })
    }
}

/// GPT-2's reversible map from bytes to printable Unicode scalars, which CLIP's BPE vocabulary is
/// written in: printable Latin-1 bytes map to themselves, the others to U+0100 onwards in byte order.
enum ByteLevelAlphabet {
    static let scalars: [Unicode.Scalar] = {
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next = 0x100
        for byte in 0..<256 {
            if printable.contains(byte) {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(UInt32(next))!
                next += 1
            }
        }
        return table
    }()

    /// The alphabet in vocabulary order: printable bytes first, then the remapped ones.
    static let vocabularyOrder: [Unicode.Scalar] = {
        let printable = scalars.filter { $0.value < 0x100 }
        return printable + scalars.filter { $0.value >= 0x100 }
    }()

    static func encode(_ text: Substring) -> String {
        var result = String.UnicodeScalarView()
        for byte in text.utf8 { result.append(scalars[Int(byte)]) }
        return String(result)
    }
}

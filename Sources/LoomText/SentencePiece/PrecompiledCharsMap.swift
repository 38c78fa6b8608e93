/// SentencePiece's compiled normalisation rules (`precompiled_charsmap`): a darts-clone double-array
/// trie from UTF-8 sources to offsets into a pool of NUL-terminated replacement strings.
///
/// Applied like Hugging Face tokenizers' `Precompiled` normalizer, which the fast T5 tokenizer uses:
/// a grapheme cluster shorter than 6 bytes is looked up whole first, otherwise (or when it has no
/// rule) each scalar is looked up alone; a lookup takes the *shortest* rule that is a prefix of the
/// looked-up text and replaces all of that text.
struct PrecompiledCharsMap: Sendable {
    private let units: [UInt32]
    private let pool: [UInt8]

    init(_ blob: [UInt8]) throws(PrecompiledCharsMapError) {
        guard blob.count >= 4 else { throw .truncated }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize % 4 == 0, 4 + trieSize <= blob.count, trieSize >= 4 else { throw .truncated }
        units = stride(from: 4, to: 4 + trieSize, by: 4).map { offset in
            UInt32(blob[offset]) | UInt32(blob[offset + 1]) << 8 | UInt32(blob[offset + 2]) << 16 | UInt32(blob[offset + 3]) << 24
        }
        pool = Array(blob[(4 + trieSize)...])
    }

    func normalize(_ text: String) -> String {
        var result = ""
        for grapheme in text {
            let utf8 = Array(grapheme.utf8)
            if utf8.count < 6, let replacement = replacement(for: utf8) {
                result += replacement
                continue
            }
            for scalar in grapheme.unicodeScalars {
                result += replacement(for: Array(String(scalar).utf8)) ?? String(scalar)
            }
        }
        return result
    }

    private func replacement(for key: [UInt8]) -> String? {
        guard let offset = firstPrefixValue(key), offset < pool.count else { return nil }
        let end = pool[offset...].firstIndex(of: 0) ?? pool.count
        return String(decoding: pool[offset..<end], as: UTF8.self)
    }

    /// darts-clone `commonPrefixSearch`, returning only the first (shortest) match.
    private func firstPrefixValue(_ key: [UInt8]) -> Int? {
        var node = Int(Self.offset(units[0]))
        for byte in key {
            if byte == 0 { return nil }
            node ^= Int(byte)
            guard node < units.count else { return nil }
            let unit = units[node]
            guard unit & 0x8000_00FF == UInt32(byte) else { return nil }  // label check
            node ^= Int(Self.offset(unit))
            guard node < units.count else { return nil }
            if (unit >> 8) & 1 == 1 { return Int(units[node] & 0x7FFF_FFFF) }  // has a leaf: its value
        }
        return nil
    }

    private static func offset(_ unit: UInt32) -> UInt32 {
        (unit >> 10) << ((unit & (1 << 9)) >> 6)
    }
}

public enum PrecompiledCharsMapError: Error, Equatable, CustomStringConvertible {
    case truncated

    public var description: String { "the precompiled_charsmap normaliser blob is truncated or malformed" }
}
